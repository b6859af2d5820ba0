//! The in-memory state: master data, stock, cost pools, ledger balances,
//! pending change requests, idempotency keys. Built only by `apply`.
//! Ordered maps, and hashed ones for the documents by number
//! (`HashedMap`, core/hashed.rs); both write their entries in key order,
//! so that a snapshot of the same state is the same bytes.

use super::event::Change;
use super::master::*;
use super::types::{Code, Currency};
use crate::core::types::ToCode;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The state's maps and sets are persistent (imbl): a clone shares every
/// node and costs O(1), a write copies only the path it changes when a
/// clone is alive, and nothing when none is. A counter sale decides its
/// chain of steps on a scratch clone, and a reader can hold a consistent
/// copy while the writer goes on, at no cost proportional to the history.
/// They serialize exactly as the std B-tree maps and sets did (same order,
/// same bytes), so stores written before read unchanged.
pub type Map<K, V> = imbl::OrdMap<K, V>;
/// The documents' maps hold them behind `Shared` (core/shared.rs), so a
/// leaf copied after a publish does not deep-copy 16 documents.
pub use super::shared::Shared;
pub type Set<T> = imbl::OrdSet<T>;
/// The documents (orders, pick lists, shipments, invoices, receipts) by
/// number, hashed: every command reaches its documents by number (see
/// core/hashed.rs).
pub type DocMap<V> = super::hashed::HashedMap<Code, Shared<V>>;
pub use super::hashed::HashedMap;

/// `map.entry(key).or_default()` in one lookup where the key is there:
/// imbl's `entry` looks the key up, then again for the value (three
/// times for a new key). `apply` adds to sums in persistent maps many
/// times per record (the ledger's balances, stock, KPIs), and the
/// second lookup was a fifth of what it spent.
pub trait Modify<K, V> {
    /// Run `f` on the value of `key`, a default one put in first when
    /// there is none (kept even if `f` leaves it at the default, as
    /// `entry().or_default()` does).
    fn modify<R>(&mut self, key: K, f: impl FnOnce(&mut V) -> R) -> R;
}

impl<K: Ord + Clone, V: Clone + Default> Modify<K, V> for Map<K, V> {
    fn modify<R>(&mut self, key: K, f: impl FnOnce(&mut V) -> R) -> R {
        if let Some(v) = self.get_mut(&key) {
            return f(v);
        }
        let mut v = V::default();
        let r = f(&mut v);
        self.insert(key, v);
        r
    }
}

/// A sum kept only while it is not zero (stock in a bin, a customer's
/// unapplied cash, what open pick lines promise a bin): add `delta`, and
/// take the key out once the sum comes to zero. What that did to the
/// key's presence, so that an index of the present keys changes only
/// when a key comes or goes.
pub trait AddOrDrop<K> {
    fn add_or_drop(&mut self, key: &K, delta: Decimal) -> Presence;
}

/// What [`AddOrDrop::add_or_drop`] did to its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// Absent before, present now (the sum was zero and is not).
    Came,
    /// Present before and after (the sum changed, and is still not zero).
    Stayed,
    /// Present before, absent now (the sum came to zero).
    Went,
    /// Absent before and after (a zero added to nothing).
    Absent,
}

impl<K: Ord + Clone> AddOrDrop<K> for Map<K, Decimal> {
    fn add_or_drop(&mut self, key: &K, delta: Decimal) -> Presence {
        if let Some(sum) = self.get_mut(key) {
            *sum += delta;
            if sum.is_zero() {
                self.remove(key);
                return Presence::Went;
            }
            return Presence::Stayed;
        }
        if delta.is_zero() {
            return Presence::Absent;
        }
        self.insert(key.clone(), delta);
        Presence::Came
    }
}
pub use super::smallset::SmallSet;

/// Where a quantity of stock sits: warehouse, bin, item and lot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BinKey {
    pub warehouse: Code,
    pub bin: Code,
    pub sku: Code,
    pub lot: Option<Code>,
}

/// An item's stock in one warehouse.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarehouseStock {
    /// Sum of the bins.
    pub on_hand: Decimal,
    /// Promised to order lines, not yet picked.
    pub reserved: Decimal,
    /// Picked but not yet shipped.
    pub in_pick: Decimal,
}

/// Moving weighted average cost pool of an item in one entity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostPool {
    pub qty: Decimal,
    pub value: Decimal,
}

/// What an item's cost pool moved on each day it moved, oldest first: a
/// list per item rather than a map entry per day (a year of 100,000
/// items moves on a million item-days; as map entries with their codes
/// they were the largest thing a store of years kept). The list is shared
/// (`Arc`): a write to the persistent map copies the 16 entries of the
/// leaf it lands in whenever a published state still holds that leaf, and
/// a leaf of lists copied whole would be 16 lists of up to a year of days.
/// It encodes as the plain list did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolDays(std::sync::Arc<Vec<(NaiveDate, CostPool)>>);

impl PoolDays {
    /// Add a movement on `day` (kept in date order whatever the order
    /// of the calls).
    pub fn add(&mut self, day: NaiveDate, qty: Decimal, value: Decimal) {
        add_dated(
            std::sync::Arc::make_mut(&mut self.0),
            day,
            CostPool { qty, value },
        );
    }

    /// The pool as of the end of `day`: every movement up to it.
    pub fn up_to(&self, day: NaiveDate) -> CostPool {
        let mut pool = CostPool::default();
        for (_, m) in self.0.iter().take_while(|(d, _)| *d <= day) {
            pool += m.clone();
        }
        pool
    }

    /// Movements dated after `day`.
    pub fn after(&self, day: NaiveDate) -> usize {
        self.0.len() - self.0.partition_point(|(d, _)| *d <= day)
    }

    /// Each day's movement, oldest first.
    pub fn days(&self) -> impl Iterator<Item = &(NaiveDate, CostPool)> {
        self.0.iter()
    }
}

/// Add `v` to `day`'s entry of a list kept in date order, one entry a
/// day (a new entry where there is none; the usual call is for the
/// newest day, at the end).
fn add_dated<T: std::ops::AddAssign>(list: &mut Vec<(NaiveDate, T)>, day: NaiveDate, v: T) {
    let at = match list.last() {
        Some((last, _)) if *last <= day => list.len() - usize::from(*last == day),
        _ => list.partition_point(|(d, _)| *d < day),
    };
    match list.get_mut(at) {
        Some((d, t)) if *d == day => *t += v,
        _ => list.insert(at, (day, v)),
    }
}

impl std::ops::AddAssign for CostPool {
    fn add_assign(&mut self, other: CostPool) {
        self.qty += other.qty;
        self.value += other.value;
    }
}

/// In a snapshot, each day is a (date, quantity, value) with the three
/// packed (`packed`); in JSON, as the list is.
impl Serialize for PoolDays {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use super::packed::P;
        if s.is_human_readable() {
            return self.0.serialize(s);
        }
        s.collect_seq(self.0.iter().map(|(d, p)| (P(d), P(&p.qty), P(&p.value))))
    }
}

impl<'de> Deserialize<'de> for PoolDays {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use super::packed::U;
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Vec<(NaiveDate, CostPool)>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of days")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                let mut days = Vec::with_capacity(a.size_hint().unwrap_or(0).min(4096));
                while let Some(U((day, qty, value))) =
                    a.next_element::<U<(NaiveDate, Decimal, Decimal)>>()?
                {
                    days.push((day, CostPool { qty, value }));
                }
                Ok(days)
            }
        }
        let days = if d.is_human_readable() {
            Vec::deserialize(d)?
        } else {
            d.deserialize_seq(V)?
        };
        Ok(PoolDays(std::sync::Arc::new(days)))
    }
}

/// Shipped demand of one item in one warehouse by week (the Monday),
/// oldest first, the newest [`DEMAND_WEEKS_KEPT`] weeks. A shared list,
/// as [`PoolDays`] is (a persistent map of a few weeks each allocated a
/// 16-slot node per item); it encodes as that map did, its length and
/// then each (Monday, quantity) in date order (both packed in a
/// snapshot: `packed`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Weeks(std::sync::Arc<Vec<(NaiveDate, Decimal)>>);

impl Weeks {
    /// Add `qty` to the week of `monday`; the oldest weeks past
    /// [`DEMAND_WEEKS_KEPT`] are dropped.
    pub fn add(&mut self, monday: NaiveDate, qty: Decimal) {
        let weeks = std::sync::Arc::make_mut(&mut self.0);
        add_dated(weeks, monday, qty);
        let over = weeks.len().saturating_sub(DEMAND_WEEKS_KEPT);
        weeks.drain(..over);
    }

    /// What shipped in the week of `monday`.
    pub fn get(&self, monday: &NaiveDate) -> Option<&Decimal> {
        self.0
            .binary_search_by(|(d, _)| d.cmp(monday))
            .ok()
            .map(|i| &self.0[i].1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each week's quantity, oldest first.
    pub fn values(&self) -> impl Iterator<Item = &Decimal> {
        self.0.iter().map(|(_, q)| q)
    }
}

impl Serialize for Weeks {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use super::packed::P;
        use serde::ser::SerializeMap;
        // Packed in a snapshot (`packed`).
        let packed = !s.is_human_readable();
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (d, q) in self.0.iter() {
            if packed {
                m.serialize_entry(&P(d), &P(q))?;
            } else {
                m.serialize_entry(d, q)?;
            }
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Weeks {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use super::packed::U;
        struct V {
            packed: bool,
        }
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Weeks;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of weeks")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Weeks, A::Error> {
                let mut weeks: Vec<(NaiveDate, Decimal)> =
                    Vec::with_capacity(a.size_hint().unwrap_or(0).min(DEMAND_WEEKS_KEPT));
                if self.packed {
                    while let Some((U(d), U(q))) = a.next_entry::<U<NaiveDate>, U<Decimal>>()? {
                        weeks.push((d, q));
                    }
                } else {
                    while let Some(entry) = a.next_entry()? {
                        weeks.push(entry);
                    }
                }
                // As written, in date order with one entry a week; read
                // as a map would be otherwise (the last of a repeated
                // week kept).
                if !weeks.windows(2).all(|w| w[0].0 < w[1].0) {
                    let m: std::collections::BTreeMap<_, _> = weeks.into_iter().collect();
                    weeks = m.into_iter().collect();
                }
                Ok(Weeks(std::sync::Arc::new(weeks)))
            }
        }
        let packed = !d.is_human_readable();
        d.deserialize_map(V { packed })
    }
}

impl CostPool {
    /// Value of issuing `qty` at average cost, rounded with `round`; the last
    /// unit out takes the remaining value exactly.
    pub fn issue_value(&self, qty: Decimal, round: impl Fn(Decimal) -> Decimal) -> Decimal {
        if qty >= self.qty {
            return self.value;
        }
        if self.qty.is_zero() {
            return Decimal::ZERO;
        }
        round(qty * self.value / self.qty)
    }
}

/// A change request waiting for approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    pub id: u64,
    pub requested_by: Code,
    pub fields: Vec<String>,
    pub change: Change,
    pub seq: u64,
}

/// Where an idempotency key was first used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUse {
    pub seq: u64,
    pub digest: super::event::KeyDigest,
    /// Who used it: a repeat from anybody else is a conflict, never an
    /// answer with the first outcome.
    pub operator: Code,
}

/// Balances maintained by apply so that reports never scan history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// (entity, account) -> debit minus credit.
    #[serde(deserialize_with = "super::dense::map")]
    pub balances: Map<(Code, Code), Decimal>,
    /// (entity, period, account) -> debit minus credit of that period.
    #[serde(deserialize_with = "super::dense::map")]
    pub period_balances: Map<(Code, Code, Code), Decimal>,
    /// (entity, control, party) -> debit minus credit.
    #[serde(deserialize_with = "super::dense::map")]
    pub subledger: Map<(Code, Control, Code), Decimal>,
    pub entries: u64,
    pub lines: u64,
    /// (entity, posting date, account) -> debit minus credit posted that
    /// day: balances as of any date (`State::balances_as_of`).
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub daily: Map<(Code, NaiveDate, Code), Decimal>,
    /// (entity, posting date, control) -> what subledger lines (a party or
    /// item named) posted that day to the control.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub daily_sub: Map<(Code, NaiveDate, Control), Decimal>,
    /// (entity, posting date) -> journal entries dated that day.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub daily_entries: Map<(Code, NaiveDate), u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Sequence number of the last applied log record.
    pub seq: u64,
    #[serde(deserialize_with = "super::dense::map")]
    pub entities: Map<Code, Entity>,
    #[serde(deserialize_with = "super::dense::map")]
    pub accounts: Map<(Code, Code), Account>,
    #[serde(deserialize_with = "super::dense::map")]
    pub posting_rules: Map<(Code, PostingKey), Code>,
    /// (entity, start date) -> period.
    #[serde(deserialize_with = "super::dense::map")]
    pub periods: Map<(Code, NaiveDate), Period>,
    #[serde(deserialize_with = "super::dense::map")]
    pub warehouses: Map<Code, Warehouse>,
    #[serde(deserialize_with = "super::dense::map")]
    pub bins: Map<(Code, Code), Bin>,
    #[serde(deserialize_with = "super::dense::map")]
    pub items: Map<Code, Item>,
    /// barcode key (see `scan::barcode_key`) -> (sku, unit).
    #[serde(deserialize_with = "super::dense::map")]
    pub barcodes: Map<String, (Code, Code)>,
    #[serde(deserialize_with = "super::dense::map")]
    pub customers: Map<Code, Customer>,
    #[serde(deserialize_with = "super::dense::map")]
    pub suppliers: Map<Code, Supplier>,
    #[serde(deserialize_with = "super::dense::map")]
    pub price_lists: Map<Code, PriceList>,
    #[serde(deserialize_with = "super::dense::map")]
    pub contracts: Map<Code, ContractPrice>,
    #[serde(deserialize_with = "super::dense::map")]
    pub tax_codes: Map<Code, TaxCode>,
    #[serde(deserialize_with = "super::dense::map")]
    pub carriers: Map<Code, Carrier>,
    #[serde(deserialize_with = "super::dense::map")]
    pub terms: Map<Code, PaymentTerms>,
    #[serde(deserialize_with = "super::dense::map")]
    pub fx_rates: Map<(Currency, Currency, NaiveDate), Decimal>,
    #[serde(deserialize_with = "super::dense::map")]
    pub operators: Map<Code, Operator>,
    #[serde(deserialize_with = "super::dense::map")]
    pub category_floors: Map<Code, Decimal>,
    #[serde(deserialize_with = "super::dense::map")]
    pub changes: Map<u64, ChangeRequest>,
    pub next_change_id: u64,
    #[serde(deserialize_with = "super::dense::map")]
    pub bin_stock: Map<BinKey, Decimal>,
    /// (warehouse, sku) -> totals.
    #[serde(deserialize_with = "super::dense::map")]
    pub stock: Map<(Code, Code), WarehouseStock>,
    /// (entity, sku) -> moving average pool.
    #[serde(deserialize_with = "super::dense::map")]
    pub costs: Map<(Code, Code), CostPool>,
    pub ledger: Ledger,
    #[serde(deserialize_with = "super::dense::map")]
    pub keys: Map<String, KeyUse>,
    /// Quotes and sales orders by number, and the last number given.
    pub orders: DocMap<super::sales::SalesOrder>,
    pub next_order: u64,
    /// Pick lists and shipments by number, and the last numbers given.
    pub picks: DocMap<super::warehouse::PickList>,
    pub next_pick: u64,
    pub shipments: DocMap<super::warehouse::Shipment>,
    pub next_shipment: u64,
    pub invoices: DocMap<super::billing::Invoice>,
    pub next_invoice: u64,
    pub receipts: DocMap<super::cash::Receipt>,
    pub next_receipt: u64,
    /// Purchasing: orders, goods receipts, supplier invoices and payments
    /// by number, and the last numbers given.
    #[serde(deserialize_with = "super::dense::map")]
    pub purchase_orders: Map<Code, super::purchasing::PurchaseOrder>,
    pub next_po: u64,
    #[serde(deserialize_with = "super::dense::map")]
    pub goods_receipts: Map<Code, super::purchasing::GoodsReceipt>,
    pub next_goods_receipt: u64,
    #[serde(deserialize_with = "super::dense::map")]
    pub supplier_invoices: Map<Code, super::purchasing::SupplierInvoice>,
    pub next_supplier_invoice: u64,
    #[serde(deserialize_with = "super::dense::map")]
    pub supplier_payments: Map<Code, super::purchasing::SupplierPayment>,
    pub next_supplier_payment: u64,
    /// Cycle counts by number, the last number given, and when each item
    /// was last counted in each warehouse.
    #[serde(deserialize_with = "super::dense::map")]
    pub counts: Map<Code, super::counts::Count>,
    pub next_count: u64,
    #[serde(deserialize_with = "super::dense::map")]
    pub last_counted: Map<(Code, Code), NaiveDate>,
    /// Transfers between warehouses, and the last number given.
    #[serde(deserialize_with = "super::dense::map")]
    pub transfers: Map<Code, super::transfer::Transfer>,
    pub next_transfer: u64,
    /// Waves released, and the last number given.
    #[serde(deserialize_with = "super::dense::map")]
    pub waves: Map<Code, super::warehouse::Wave>,
    pub next_wave: u64,
    /// Returns (RMAs) and credit memos by number, and the last numbers given.
    #[serde(deserialize_with = "super::dense::map")]
    pub returns: Map<Code, super::returns::Rma>,
    pub next_return: u64,
    #[serde(deserialize_with = "super::dense::map")]
    pub credit_memos: Map<Code, super::returns::CreditMemo>,
    pub next_credit_memo: u64,
    /// Customers' unapplied credit: (entity, customer) -> amount.
    #[serde(deserialize_with = "super::dense::map")]
    pub unapplied: Map<(Code, Code), Decimal>,
    /// What the unapplied-cash account carries for each of those credits,
    /// in the entity's base currency: a foreign credit stays at the rates
    /// it came in at until it is used, and using all of it relieves all of
    /// this, so that no cent is left stranded in the account.
    #[serde(deserialize_with = "super::dense::map")]
    pub unapplied_base: Map<(Code, Code), Decimal>,
    /// Replenishment policies: (warehouse, sku) -> policy.
    #[serde(deserialize_with = "super::dense::map")]
    pub replenishment: Map<(Code, Code), ReplenishmentPolicy>,
    /// Shipped demand per week: (warehouse, sku) -> Monday of the week ->
    /// base units shipped (the newest `DEMAND_WEEKS_KEPT` weeks).
    #[serde(deserialize_with = "super::dense::map")]
    pub demand: Map<(Code, Code), Weeks>,
    /// Lots of lot-tracked items: (sku, lot) -> expiry and first receipt.
    #[serde(deserialize_with = "super::dense::map")]
    pub lots: Map<(Code, Code), Lot>,
    /// Manual journal entries (kept to be reversed), by number.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub manual_journals: Map<Code, super::ledger::ManualJournal>,
    #[serde(default)]
    pub next_journal: u64,
    /// (entity, period) revalued at its end.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::set")]
    pub revaluations: Set<(Code, Code)>,
    /// Bank statement lines by id, and the statements imported:
    /// (entity, statement number).
    #[serde(deserialize_with = "super::dense::map")]
    pub bank_lines: Map<Code, super::bank::BankLine>,
    #[serde(deserialize_with = "super::dense::set")]
    pub bank_statements: Set<(Code, String)>,
    pub next_bank_line: u64,
    /// What moved through each entity's bank account by the books.
    #[serde(deserialize_with = "super::dense::map")]
    pub book_items: Map<Code, super::bank::BookItem>,
    pub next_book_item: u64,
    /// Indexes over open documents, so that no command scans history.
    pub index: Indexes,
    /// Units that ever left each item's cost pool to be consumed
    /// ((entity, sku) -> cumulative quantity), and each goods receipt's
    /// pool right after it ((receipt, sku) -> see `landed::ReceiptPool`):
    /// what the landed-cost split needs. Derived by `apply` from the log.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub issued: Map<(Code, Code), Decimal>,
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub receipt_pools: Map<(Code, Code), super::landed::ReceiptPool>,
    /// (entity, sku) -> what the item's cost pool moved on each day it
    /// moved (quantity and value): stock valuation as of any date.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub pool_days: Map<(Code, Code), PoolDays>,
    /// Customer credit paid back, by number, and the last number given.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub refunds: Map<Code, super::cash::Refund>,
    #[serde(default)]
    pub next_refund: u64,
    /// What credit memos not from a return took off each invoice line:
    /// (invoice, line) -> amount (invoice currency).
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub allowances: Map<(Code, u32), Decimal>,
    /// Operators' PIN or password hashes, and their sign-in history that
    /// the lockout needs.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub credentials: Map<Code, super::signin::Credential>,
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub sign_ins: Map<Code, super::signin::SignInRecord>,
    /// Made by `depot demo`: `--operator` may skip the sign-in.
    #[serde(default)]
    pub demo: bool,
    /// Printers by code, and the default printer of each operator and
    /// station (issue 17).
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub printers: Map<Code, super::printing::Printer>,
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub default_printers: Map<super::printing::PrinterScope, Code>,
    /// Each entity's letterhead, tax registration and remittance details.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub doc_profiles: Map<Code, super::printing::DocumentProfile>,
    /// (document kind, number) -> its prints: the state reprints are
    /// built from, and how many printed or failed.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub prints: Map<(Code, Code), super::printing::PrintHistory>,
    /// Order number -> the log records that touched the order or one of
    /// its documents (pick lists, cartons, shipments, invoices, payments,
    /// returns, credit memos, prints), ascending: the order inquiry reads
    /// "who did what when" from these records without scanning the log.
    /// `depot check` proves it by replay (the replayed state equals every
    /// snapshot).
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub order_history: Map<Code, Shared<Vec<u64>>>,
    /// (pick list, line) -> why the picker said it was short.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub short_reasons: Map<(Code, u32), super::warehouse::ShortReason>,
    /// Bin positions a picker found empty, or could not find the item
    /// in, while the book still shows stock there: neither picked from
    /// nor promised until a count of the position settles (the short
    /// scheduled one). Kept by `apply` from the short's reason.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::set")]
    pub pick_blocked: Set<BinKey>,
    /// Each entity's and warehouse's time zone history (issue 16): empty
    /// in stores written before, whose business dates stay UTC days.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub zones: Map<super::zone::Place, Vec<super::zone::ZoneFrom>>,
    /// Closed fiscal years: (entity, year) -> the closing entry.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub year_closes: Map<(Code, i32), super::yearend::YearClose>,
    /// The supervisor's exception queue (issue 20): every exception ever
    /// raised by id (open, snoozed or cleared), the open one of each
    /// blocked document, and the last id given. Raised and cleared by
    /// `apply` from the documents' events (`exceptions::sync`).
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub exceptions: Map<u64, super::exceptions::Exception>,
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub open_exceptions: Map<super::exceptions::Blocked, u64>,
    #[serde(default)]
    pub next_exception: u64,
    /// (pick list, line) -> the short quantity acknowledged from the queue.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub short_acknowledged: Map<(Code, u32), Decimal>,
    /// Operator code -> the person behind it, when it was created or given
    /// an approving role at another operator's request.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub persons: Map<Code, Code>,
    /// Debit memos by number (their AR documents are in `invoices`), and
    /// the last number given (issue 16).
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub debit_memos: Map<Code, super::memo::DebitMemo>,
    #[serde(default)]
    pub next_debit_memo: u64,
    /// Supplier debit notes and refunds by number, the last numbers given,
    /// and each supplier's debit balance: (entity, supplier) -> what it
    /// owes us in its currency, and what AP carries for it in the base.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub supplier_debit_notes: Map<Code, super::memo::SupplierDebitNote>,
    #[serde(default)]
    pub next_supplier_debit_note: u64,
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub supplier_refunds: Map<Code, super::memo::SupplierRefund>,
    #[serde(default)]
    pub next_supplier_refund: u64,
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub supplier_debit: Map<(Code, Code), Decimal>,
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub supplier_debit_base: Map<(Code, Code), Decimal>,
    /// Will-call deposits not yet applied nor released, by order number
    /// (state version 11): each is part of its customer's unapplied
    /// credit, earmarked for the order.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub deposits: Map<Code, super::counter::Deposit>,
    /// Data-quality rules by entity (`None`: the default) (state
    /// version 12), and the index the duplicate rules read: (rule, scope,
    /// normalised name) -> the active records of that name.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub quality_rules: Map<Option<Code>, super::quality::QualityRules>,
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub quality_names: Map<(super::quality::QualityRule, Code, String), SmallSet<Code>>,
    /// Disputes settled (written off or reinstated) by number, and the
    /// last number given (state version 12).
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub dispute_resolutions: Map<Code, super::cash::DisputeResolution>,
    #[serde(default)]
    pub next_dispute_resolution: u64,
    /// (entity, customer) -> the day its credit on account has stood
    /// since without falling to zero: what "unapplied cash older than N
    /// days" reads.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub unapplied_since: Map<(Code, Code), NaiveDate>,
    /// Invoices in dispute -> the operator who recorded the short payment
    /// (the receipt): somebody else writes the dispute off.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub dispute_by: Map<Code, Code>,
    /// Exception routing rules set (governed): (entity, warehouse or none
    /// for the whole entity, kind) -> owner, service level, threshold.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub exception_routing:
        Map<(Code, Option<Code>, super::exceptions::ExceptionKind), super::exceptions::Route>,
    /// (entity, period) whose bank reconciliation was marked done, and
    /// who marked it.
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub bank_reconciled: Map<(Code, Code), Code>,
    /// Per entity, the end of the newest reconciled period whose settled
    /// bank lines and book items were archived (state version 19).
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub bank_archived_through: Map<Code, NaiveDate>,
    /// Channel policies by (entity, channel), customers' overrides of
    /// them, what decided each order's policies when it was placed, and
    /// the shipments whose delivery was confirmed (state version 13).
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub channel_policies: Map<(Code, super::master::Channel), super::channel::ChannelPolicy>,
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub policy_overrides: Map<Code, super::channel::CustomerOverrides>,
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub order_policies: Map<Code, super::channel::Effective>,
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub deliveries: Map<Code, NaiveDate>,
    /// The KPIs, kept by `apply` from each event (state version 14,
    /// issue 23): see `kpi` and docs/kpis.md.
    #[serde(default)]
    pub kpis: super::kpi::Kpis,
    /// What was said about exceptions computed on the clock (comments,
    /// snoozes, owners), by episode (state version 15).
    #[serde(default)]
    #[serde(deserialize_with = "super::dense::map")]
    pub clock_notes: Map<super::exceptions::ClockKey, super::exceptions::ClockNote>,
    /// Numbers of the sales orders and invoices moved to the archive
    /// (state version 15, issue 21): a command naming one is refused as
    /// archived rather than unknown; the documents are in the store's
    /// archive tree. Kept as runs of consecutive numbers (state version
    /// 17): years of them cost a few runs, not a string each.
    #[serde(default)]
    pub archived_orders: super::numbers::NumberSet,
    #[serde(default)]
    pub archived_invoices: super::numbers::NumberSet,
    /// What the archived invoices and receipts moved on each customer's
    /// statement, net, and the latest day of them (state version 20;
    /// one total per customer since version 22, one per day before): the
    /// statement brings it forward, so that a receipt's unapplied credit
    /// still counts once the receipt is archived. A total that came to
    /// nil is kept, so that the statement says what was archived. The
    /// days are in the store's archive index: a statement as of a day
    /// before the latest reads what was archived after it
    /// (`archive::brought_forward`).
    #[serde(default)]
    #[serde(with = "super::packed::map")]
    pub archived_statement: Map<Code, (NaiveDate, Decimal)>,
    /// What archived invoices sold (the margin report's figures), by
    /// (entity, customer) and by (entity, item), with how many invoice
    /// lines it sums (state version 20; totals since version 22, by day
    /// before): `report margin` adds them to what is in memory, so
    /// archiving changes none of its figures. Bounded by the master
    /// data, not by the years of history (`archive::archived_sales`).
    #[serde(default)]
    #[serde(with = "super::packed::map")]
    pub archived_sales_by_customer: Map<(Code, Code), (super::billing::Sold, u64)>,
    #[serde(default)]
    #[serde(with = "super::packed::map")]
    pub archived_sales_by_item: Map<(Code, Code), (super::billing::Sold, u64)>,
    /// The latest day of an archived invoice or receipt: the margin
    /// report and the AR aging as of an earlier day take out what the
    /// archive holds after it.
    #[serde(default)]
    pub archived_through: Option<NaiveDate>,
}

/// Follow what a journal does to the unapplied-cash account for one
/// customer's credit (credits add, debits relieve), in the base currency.
pub fn add_unapplied_base(
    state: &mut State,
    key: (Code, Code),
    journal: &super::posting::JournalEntry,
) {
    let delta: Decimal = journal
        .lines
        .iter()
        .filter(|l| l.key == PostingKey::UnappliedCash)
        .map(|l| l.credit - l.debit)
        .sum();
    if delta.is_zero() {
        return;
    }
    state.unapplied_base.add_or_drop(&key, delta);
}

/// Weeks of shipped demand kept per item and warehouse.
pub const DEMAND_WEEKS_KEPT: usize = 104;

/// A lot of an item: when it expires (if it does) and when it first came in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    pub expiry: Option<NaiveDate>,
    pub received: NaiveDate,
}

impl State {
    /// Record `qty` shipped from `warehouse` on `date` as demand of its week.
    pub fn record_demand(&mut self, warehouse: &str, sku: &str, date: NaiveDate, qty: Decimal) {
        use chrono::Datelike;
        let monday =
            date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday()));
        self.demand
            .modify((warehouse.to_code(), sku.to_code()), |w| w.add(monday, qty));
    }

    /// Expiry of a lot, if it has one.
    pub fn lot_expiry(&self, sku: &str, lot: Option<&str>) -> Option<NaiveDate> {
        let lot = lot?;
        self.lots
            .get(&(sku.to_code(), lot.to_code()))
            .and_then(|l| l.expiry)
    }
}

/// What an item scan was read as.
pub struct ScannedItem<'a> {
    pub item: &'a Item,
    pub unit: Code,
    pub lot: Option<Code>,
    pub count: Option<Decimal>,
    /// GS1 (17) as scanned, YYMMDD (see `scan::gs1_date`).
    pub expiry: Option<String>,
}

/// Open documents by who they belong to, maintained by `apply`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indexes {
    /// Pick lists not yet shipped.
    #[serde(deserialize_with = "super::dense::set")]
    pub open_picks: Set<Code>,
    /// Every pick list of an order.
    #[serde(deserialize_with = "super::dense::map")]
    pub picks_by_order: Map<Code, Vec<Code>>,
    /// Every shipment of an order (order inquiry reads them without a
    /// scan of all shipments).
    #[serde(deserialize_with = "super::dense::map")]
    pub shipments_by_order: Map<Code, Vec<Code>>,
    /// Every receipt applied to an invoice (receipts never change after
    /// they are recorded).
    #[serde(deserialize_with = "super::dense::map")]
    pub receipts_by_invoice: Map<Code, Vec<Code>>,
    /// Confirmed orders with something left to ship, per customer.
    #[serde(deserialize_with = "super::dense::map")]
    pub open_orders: Map<Code, SmallSet<Code>>,
    /// Shipments not yet invoiced, per customer.
    #[serde(deserialize_with = "super::dense::map")]
    pub uninvoiced: Map<Code, SmallSet<Code>>,
    /// Invoices with an open amount, per customer.
    #[serde(deserialize_with = "super::dense::map")]
    pub open_invoices: Map<Code, SmallSet<Code>>,
    /// The bins holding an item in a warehouse: (warehouse, sku) -> keys.
    #[serde(deserialize_with = "super::dense::map")]
    pub item_bins: Map<(Code, Code), SmallSet<BinKey>>,
    /// Approved purchase orders not closed: their open lines are the
    /// scheduled receipts ATP and promises count on.
    #[serde(deserialize_with = "super::dense::set")]
    pub open_pos: Set<Code>,
    /// Draft POs and POs waiting for an approval: on order for
    /// replenishment, not yet scheduled receipts.
    #[serde(deserialize_with = "super::dense::set")]
    pub unsent_pos: Set<Code>,
    /// Counts not yet settled.
    #[serde(deserialize_with = "super::dense::set")]
    pub open_counts: Set<Code>,
    /// Supplier invoice references entered: (supplier, their number).
    #[serde(deserialize_with = "super::dense::set")]
    pub supplier_refs: Set<(Code, String)>,
    /// Posted supplier invoices with an open amount, per supplier: what
    /// AP aging and revaluation read.
    #[serde(deserialize_with = "super::dense::map")]
    pub open_supplier_invoices: Map<Code, SmallSet<Code>>,
    /// Bank statement lines not yet matched.
    #[serde(deserialize_with = "super::dense::set")]
    pub unmatched_bank_lines: Set<Code>,
    /// Book items not yet cleared by a statement line, per entity.
    #[serde(deserialize_with = "super::dense::map")]
    pub uncleared_book_items: Map<Code, SmallSet<Code>>,
    /// What open pick lines still have to take from each bin: the open
    /// quantity of every line of an open pick list, by the line's bin key
    /// (no zero entries). Releasing a pick list reads it for every bin it
    /// considers; summing the open lists there was quadratic in the lists
    /// a warehouse has open. Derived from the open pick lists, so not
    /// saved: a loaded snapshot rebuilds it (`Store::load_snapshot`).
    #[serde(skip)]
    pub promised: Map<BinKey, Decimal>,
    /// The contract prices of each (customer, item): pricing a line read
    /// every contract of every customer. Derived from the contracts,
    /// not saved, rebuilt like `promised`.
    #[serde(skip)]
    pub contracts: Map<(Code, Code), SmallSet<Code>>,
    /// The items of each (category, kind): where substitutes for a short
    /// line are looked for, instead of in every item (44 ms a line on a
    /// store of 100,000 items). Derived from the items, not saved,
    /// rebuilt like `promised`.
    #[serde(skip)]
    pub item_kinds: Map<(Code, Code), SmallSet<Code>>,
}

impl Indexes {
    /// The indexes a snapshot does not save, from what it does: every
    /// state decoded from a snapshot goes through this.
    pub fn rebuild_derived(state: &mut State) {
        state.index.promised = super::warehouse::promised_by_open_lists(state);
        state.index.contracts = Self::contracts_of(state);
        state.index.item_kinds = Self::item_kinds_of(state);
    }

    /// (category, kind) -> item SKUs, from the items.
    pub fn item_kinds_of(state: &State) -> Map<(Code, Code), SmallSet<Code>> {
        let mut by = Map::new();
        for i in state.items.values() {
            by.modify(
                (i.category.clone(), i.kind()),
                |set: &mut SmallSet<Code>| {
                    set.insert(i.sku.clone());
                },
            );
        }
        by
    }

    /// An item was entered or changed: file it under its (category,
    /// kind), and out of the one it had before.
    pub fn item_changed(&mut self, before: Option<&Item>, after: &Item) {
        let key = (after.category.clone(), after.kind());
        if let Some(b) = before {
            let old = (b.category.clone(), b.kind());
            if old == key {
                return;
            }
            if let Some(set) = self.item_kinds.get_mut(&old) {
                set.remove(&b.sku);
                if set.is_empty() {
                    self.item_kinds.remove(&old);
                }
            }
        }
        self.item_kinds
            .modify(key, |set| set.insert(after.sku.clone()));
    }

    /// (customer, item) -> contract codes, from the contracts.
    pub fn contracts_of(state: &State) -> Map<(Code, Code), SmallSet<Code>> {
        let mut by = Map::new();
        for c in state.contracts.values() {
            by.modify(
                (c.customer.clone(), c.sku.clone()),
                |set: &mut SmallSet<Code>| {
                    set.insert(c.code.clone());
                },
            );
        }
        by
    }

    /// A contract price was entered or changed: file it under its
    /// (customer, item), and out of the one it had before.
    pub fn contract_changed(&mut self, before: Option<&ContractPrice>, after: &ContractPrice) {
        if let Some(b) = before {
            let k = (b.customer.clone(), b.sku.clone());
            if let Some(set) = self.contracts.get_mut(&k) {
                set.remove(&b.code);
                if set.is_empty() {
                    self.contracts.remove(&k);
                }
            }
        }
        self.contracts
            .modify((after.customer.clone(), after.sku.clone()), |set| {
                set.insert(after.code.clone());
            });
    }

    /// Keep `item_bins` in step after a bin's quantity changed: only a
    /// bin that came to hold the item or was emptied of it changes the
    /// index (a pick from a bin still holding stock leaves it as it is).
    pub fn bin_changed(&mut self, key: &BinKey, presence: Presence) {
        match presence {
            Presence::Came => {
                self.item_bins
                    .modify((key.warehouse.clone(), key.sku.clone()), |set| {
                        set.insert(key.clone())
                    });
            }
            Presence::Went => {
                let k = (key.warehouse.clone(), key.sku.clone());
                if let Some(set) = self.item_bins.get_mut(&k) {
                    set.remove(key);
                    if set.is_empty() {
                        self.item_bins.remove(&k);
                    }
                }
            }
            Presence::Stayed | Presence::Absent => {}
        }
    }

    pub fn add(map: &mut Map<Code, SmallSet<Code>>, owner: &str, doc: &str) {
        map.modify(owner.to_code(), |set| set.insert(doc.to_code()));
    }
    pub fn remove(map: &mut Map<Code, SmallSet<Code>>, owner: &str, doc: &str) {
        if let Some(set) = map.get_mut(&owner.to_code()) {
            set.remove(&doc.to_code());
            if set.is_empty() {
                map.remove(&owner.to_code());
            }
        }
    }
}

impl State {
    /// Move `delta` of stock into (or, negative, out of) a bin, keeping
    /// `item_bins` in step: the one way `bin_stock` changes, so that the
    /// index, which changes only when a bin comes or goes, cannot miss one.
    pub fn add_bin_stock(&mut self, key: &BinKey, delta: Decimal) {
        let presence = self.bin_stock.add_or_drop(key, delta);
        self.index.bin_changed(key, presence);
    }

    /// The period of an entity holding `date`, if any.
    pub fn period_of(&self, entity: &str, date: NaiveDate) -> Option<&Period> {
        self.periods
            .range(..=(entity.to_code(), date))
            .next_back()
            .map(|(_, p)| p)
            .filter(|p| p.entity == entity && p.start <= date && date <= p.end)
    }

    /// The entity a warehouse belongs to.
    pub fn warehouse_entity(&self, warehouse: &str) -> Option<&Code> {
        self.warehouses.get(&warehouse.to_code()).map(|w| &w.entity)
    }

    /// Stock of an item per warehouse.
    pub fn item_stock(&self, sku: &str) -> Vec<(&Code, &WarehouseStock)> {
        self.warehouses
            .keys()
            .filter_map(|wh| {
                self.stock
                    .get(&(wh.clone(), sku.to_code()))
                    .map(|s| (wh, s))
            })
            .collect()
    }

    /// Sum of an entity's subledger for one control (every party).
    /// Each account's balance of `entity` from entries dated on or before
    /// `as_of` (by posting date).
    pub fn balances_as_of(
        &self,
        entity: &str,
        as_of: NaiveDate,
    ) -> std::collections::BTreeMap<Code, Decimal> {
        let mut out: std::collections::BTreeMap<Code, Decimal> = Default::default();
        let lo = (entity.to_code(), NaiveDate::MIN, Code::default());
        for ((e, day, account), v) in self.ledger.daily.range(lo..) {
            if e != entity || *day > as_of {
                break;
            }
            *out.entry(account.clone()).or_default() += *v;
        }
        out
    }

    /// A control's subledger total of `entity` from entries dated on or
    /// before `as_of`.
    pub fn subledger_total_as_of(
        &self,
        entity: &str,
        control: Control,
        as_of: NaiveDate,
    ) -> Decimal {
        self.ledger
            .daily_sub
            .range((entity.to_code(), NaiveDate::MIN, control)..)
            .take_while(|((e, day, _), _)| e == entity && *day <= as_of)
            .filter(|((_, _, c), _)| *c == control)
            .map(|(_, v)| *v)
            .sum()
    }

    /// Journal entries of `entity` (every entity when `None`) dated after
    /// `as_of`: what a report as of that day leaves out.
    pub fn entries_after(&self, entity: Option<&str>, as_of: NaiveDate) -> u64 {
        self.ledger
            .daily_entries
            .iter()
            .filter(|((e, day), _)| *day > as_of && entity.is_none_or(|x| x == e))
            .map(|(_, n)| *n)
            .sum()
    }

    pub fn subledger_total(&self, entity: &str, control: Control) -> Decimal {
        self.ledger
            .subledger
            .range((entity.to_code(), control, Code::default())..)
            .take_while(|((e, c, _), _)| e == entity && *c == control)
            .map(|(_, v)| *v)
            .sum()
    }

    /// Open receivable balance of a customer in its entity's base currency.
    pub fn customer_balance(&self, customer: &str) -> Decimal {
        let Some(c) = self.customers.get(&customer.to_code()) else {
            return Decimal::ZERO;
        };
        self.ledger
            .subledger
            .get(&(c.entity.clone(), Control::Receivables, c.code.clone()))
            .copied()
            .unwrap_or_default()
    }

    /// Look up an item by SKU or any of its barcodes.
    pub fn item_by_code(&self, code: &str) -> Option<(&Item, Code)> {
        if let Some(item) = self.items.get(&code.to_code()) {
            return Some((item, item.base_unit.clone()));
        }
        let key = super::scan::barcode_key(code).ok()?;
        let (sku, unit) = self.barcodes.get(&key)?;
        self.items.get(sku).map(|i| (i, unit.clone()))
    }

    /// Read an item scan (SKU, barcode, GTIN, GS1-128): the item, the unit
    /// the barcode stands for, and the GS1 lot (10) and count (30) if any.
    /// `expected` says what was wanted when the scan is no known item
    /// (written only then: a scan is read on every pick and pack).
    pub fn scanned_item(
        &self,
        scan: &str,
        expected: impl FnOnce() -> String,
    ) -> Result<ScannedItem<'_>, super::rejection::Rejection> {
        use super::rejection::Rejection;
        use super::scan::{parse_scan, Scan};
        let (code, lot, count, expiry) = match parse_scan(scan).map_err(|e| Rejection::BadScan {
            problem: e.to_string(),
        })? {
            Scan::Gtin(g) => (g, None, None, None),
            Scan::Gs1(g) => match g.gtin {
                Some(gtin) => (gtin, g.lot, g.count, g.expiry),
                None => {
                    return Err(Rejection::BadScan {
                        problem: "the GS1 scan has no item number (01)".into(),
                    })
                }
            },
            Scan::Text(t) => (t, None, None, None),
        };
        let (item, unit) = self
            .item_by_code(&code)
            .ok_or_else(|| Rejection::WrongItem {
                expected: expected(),
                scanned: code.chars().take(40).collect(),
            })?;
        Ok(ScannedItem {
            item,
            unit,
            lot: lot.map(Code::from),
            count,
            expiry,
        })
    }

    /// Number of master records, for `depot check` and the status line.
    pub fn master_count(&self) -> usize {
        self.entities.len()
            + self.accounts.len()
            + self.warehouses.len()
            + self.bins.len()
            + self.items.len()
            + self.customers.len()
            + self.suppliers.len()
            + self.price_lists.len()
            + self.contracts.len()
            + self.tax_codes.len()
            + self.carriers.len()
            + self.terms.len()
            + self.operators.len()
            + self.replenishment.len()
    }
}

#[cfg(test)]
mod pool_days_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever order movements come in, the list keeps one entry per
        /// day in date order, and the pool as of any day is the sum of
        /// the movements up to it.
        #[test]
        fn pool_days_sum_what_moved_up_to_any_day(
            moves in prop::collection::vec((0i64..40, -500i64..500, -90_000i64..90_000), 0..60),
            ask in 0i64..45,
        ) {
            let base = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
            let day = |n: i64| base + chrono::Duration::days(n);
            let mut days = PoolDays::default();
            for (d, q, v) in &moves {
                days.add(day(*d), Decimal::from(*q), Decimal::new(*v, 2));
            }
            let dates: Vec<NaiveDate> = days.days().map(|(d, _)| *d).collect();
            prop_assert!(dates.windows(2).all(|w| w[0] < w[1]), "{:?}", dates);
            let upto = moves.iter().filter(|(d, _, _)| *d <= ask);
            let want = CostPool {
                qty: upto.clone().map(|(_, q, _)| Decimal::from(*q)).sum(),
                value: upto.map(|(_, _, v)| Decimal::new(*v, 2)).sum(),
            };
            prop_assert_eq!(days.up_to(day(ask)), want);
            let later: std::collections::BTreeSet<i64> =
                moves.iter().map(|(d, _, _)| *d).filter(|d| *d > ask).collect();
            prop_assert_eq!(days.after(day(ask)), later.len());
        }
    }

    proptest! {
        /// A week list keeps what a map of the newest weeks kept (the
        /// rule it replaced), and encodes as that map did, its dates and
        /// quantities packed in a snapshot (state version 21) and as
        /// text in JSON; a copy shares the list until one side writes.
        #[test]
        fn weeks_keep_and_encode_what_the_map_did(
            ships in prop::collection::vec((0i64..1200, 1i64..50), 0..300),
        ) {
            let base = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a Monday");
            let mut weeks = Weeks::default();
            let mut map = std::collections::BTreeMap::<NaiveDate, Decimal>::new();
            for (d, q) in &ships {
                let monday = base + chrono::Duration::weeks(d / 7);
                weeks.add(monday, Decimal::from(*q));
                *map.entry(monday).or_default() += Decimal::from(*q);
                while map.len() > DEMAND_WEEKS_KEPT {
                    map.pop_first();
                }
            }
            prop_assert!(weeks.len() <= DEMAND_WEEKS_KEPT);
            prop_assert!(weeks.values().copied().eq(map.values().copied()));
            for (monday, q) in &map {
                prop_assert_eq!(weeks.get(monday), Some(q));
            }
            let cfg = bincode::config::standard();
            let ours = bincode::serde::encode_to_vec(&weeks, cfg).expect("encode");
            // A map is its length and its entries, as a list of pairs is.
            let packed: Vec<_> = map
                .iter()
                .map(|(d, q)| (super::super::packed::P(d), super::super::packed::P(q)))
                .collect();
            prop_assert_eq!(&ours, &bincode::serde::encode_to_vec(&packed, cfg).expect("encode"));
            let old: Map<NaiveDate, Decimal> = map.clone().into_iter().collect();
            prop_assert_eq!(
                serde_json::to_string(&weeks).expect("json"),
                serde_json::to_string(&old).expect("json")
            );
            let (back, _): (Weeks, usize) =
                bincode::serde::decode_from_slice(&ours, cfg).expect("decode");
            prop_assert_eq!(&back, &weeks);
            let mut copy = weeks.clone();
            copy.add(base, Decimal::ONE);
            prop_assert!(weeks.values().copied().eq(map.values().copied()));
        }
    }

    /// A pool list encodes as the plain list it was before it was
    /// shared: in a snapshot each day's date, quantity and value packed
    /// (state version 21), in JSON as text.
    #[test]
    fn pool_days_encode_as_the_plain_list() {
        let cfg = bincode::config::standard();
        let base = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
        let mut days = PoolDays::default();
        days.add(base, Decimal::from(3), Decimal::new(1234, 2));
        days.add(
            base + chrono::Duration::days(2),
            Decimal::from(-1),
            Decimal::new(-411, 2),
        );
        let plain: Vec<(NaiveDate, CostPool)> = days.days().cloned().collect();
        let ours = bincode::serde::encode_to_vec(&days, cfg).expect("encode");
        use super::super::packed::P;
        let packed: Vec<_> = plain
            .iter()
            .map(|(d, p)| (P(d), P(&p.qty), P(&p.value)))
            .collect();
        assert_eq!(
            ours,
            bincode::serde::encode_to_vec(&packed, cfg).expect("encode")
        );
        // The first day: 2026-01-01 is day 739,617 of the common era,
        // zigzagged to 1,479,234, a four-byte varint after its marker.
        assert_eq!(ours[0], 2);
        assert_eq!(ours[1..6], [252, 0x42, 0x92, 0x16, 0x00]);
        assert_eq!(
            serde_json::to_string(&days).expect("json"),
            serde_json::to_string(&plain).expect("json")
        );
        let (back, _): (PoolDays, usize) =
            bincode::serde::decode_from_slice(&ours, cfg).expect("decode");
        assert_eq!(back, days);
    }
}

#[cfg(test)]
mod presence_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_sum_says_whether_its_key_came_stayed_or_went() {
        let mut m: Map<Code, Decimal> = Map::new();
        let k: Code = "A".into();
        assert_eq!(m.add_or_drop(&k, Decimal::ZERO), Presence::Absent);
        assert_eq!(m.add_or_drop(&k, Decimal::from(3)), Presence::Came);
        assert_eq!(m.add_or_drop(&k, Decimal::from(-1)), Presence::Stayed);
        assert_eq!(m.add_or_drop(&k, Decimal::ZERO), Presence::Stayed);
        assert_eq!(m.add_or_drop(&k, Decimal::from(-2)), Presence::Went);
        assert!(m.is_empty());
    }

    proptest! {
        /// Whatever moves come in and out of bins, `item_bins` holds
        /// exactly the bins with stock of each item, although only a bin
        /// that comes to hold stock or is emptied changes it.
        #[test]
        fn item_bins_hold_exactly_the_bins_with_stock(
            moves in prop::collection::vec((0usize..2, 0usize..3, 0usize..2, -3i64..4), 0..80),
        ) {
            let mut stock: Map<BinKey, Decimal> = Map::new();
            let mut index = Indexes::default();
            for (w, b, s, q) in moves {
                let key = BinKey {
                    warehouse: ["W1", "W2"][w].into(),
                    bin: ["A-01", "A-02", "B-01"][b].into(),
                    sku: ["X", "Y"][s].into(),
                    lot: None,
                };
                let presence = stock.add_or_drop(&key, Decimal::from(q));
                index.bin_changed(&key, presence);
                let mut want: std::collections::BTreeMap<(Code, Code), Vec<BinKey>> =
                    Default::default();
                for k in stock.keys() {
                    want.entry((k.warehouse.clone(), k.sku.clone()))
                        .or_default()
                        .push(k.clone());
                }
                let have: std::collections::BTreeMap<(Code, Code), Vec<BinKey>> = index
                    .item_bins
                    .iter()
                    .map(|(k, set)| (k.clone(), set.iter().cloned().collect()))
                    .collect();
                prop_assert_eq!(have, want);
            }
        }
    }
}
