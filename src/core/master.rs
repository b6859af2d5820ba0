//! Master data records (SPEC section 2). Plain data: persisted with bincode,
//! so no `flatten`, no `skip_serializing_if`, no untagged enums.
//!
//! Each record is created and updated by a command carrying the whole record;
//! `decide` validates it (see `validate.rs`). Governed fields (credit limit,
//! price list, margin floor, posting rules) change only through an approved
//! change request.

use super::auth::Role;
use super::types::{Code, Currency};
use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A legal entity with its own ledger and base currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub code: Code,
    pub name: String,
    pub base_currency: Currency,
    /// Tax jurisdiction of the entity's sales (matches `TaxCode::jurisdiction`).
    pub tax_jurisdiction: Code,
    /// First month (1-12) of the fiscal year.
    #[serde(default = "one")]
    pub fiscal_year_start_month: u32,
    /// Receipts and issues of stock above this value need an approval.
    #[serde(default)]
    pub adjustment_approval_limit: Decimal,
    /// Purchase orders above this value (base currency) need an approval
    /// by someone other than the buyer; zero: every one does.
    #[serde(default)]
    pub po_approval_limit: Decimal,
}

fn one() -> u32 {
    1
}

/// What an account is, for the statements and the sign of its balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Asset,
    Liability,
    Equity,
    Revenue,
    Expense,
}

/// A control account is fed only by its subledger, and must equal it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    Receivables,
    Payables,
    Inventory,
}

/// A general-ledger account of one entity's chart of accounts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub entity: Code,
    pub code: Code,
    pub name: String,
    pub kind: AccountKind,
    #[serde(default)]
    pub control: Option<Control>,
}

/// Which account an event hits: an entity's posting rules map each key to an
/// account of its chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostingKey {
    Inventory,
    Cogs,
    Grni,
    Receivables,
    Payables,
    Revenue,
    SalesReturns,
    SalesTax,
    FreightIncome,
    Bank,
    SalesDiscount,
    PurchaseDiscount,
    WriteOff,
    PurchasePriceVariance,
    InventoryAdjustment,
    OpeningBalance,
    FxGain,
    FxLoss,
    IntercompanyDueFrom,
    IntercompanyDueTo,
    InTransit,
    UnappliedCash,
    // New keys at the end: bincode numbers variants.
    /// Period-end revaluation of open foreign-currency AR / AP.
    UnrealisedFxGain,
    UnrealisedFxLoss,
    /// Small differences written off in bank reconciliation.
    BankCharges,
    /// A line of a manual journal entry: the account is named by the entry,
    /// not by a posting rule (never a control account).
    Manual,
    /// Where the year-end close puts the year's profit or loss.
    RetainedEarnings,
}

impl PostingKey {
    /// Every key that a posting rule maps (all but `Manual`).
    pub const ALL: [PostingKey; 26] = [
        PostingKey::Inventory,
        PostingKey::Cogs,
        PostingKey::Grni,
        PostingKey::Receivables,
        PostingKey::Payables,
        PostingKey::Revenue,
        PostingKey::SalesReturns,
        PostingKey::SalesTax,
        PostingKey::FreightIncome,
        PostingKey::Bank,
        PostingKey::SalesDiscount,
        PostingKey::PurchaseDiscount,
        PostingKey::WriteOff,
        PostingKey::PurchasePriceVariance,
        PostingKey::InventoryAdjustment,
        PostingKey::OpeningBalance,
        PostingKey::FxGain,
        PostingKey::FxLoss,
        PostingKey::IntercompanyDueFrom,
        PostingKey::IntercompanyDueTo,
        PostingKey::InTransit,
        PostingKey::UnappliedCash,
        PostingKey::UnrealisedFxGain,
        PostingKey::UnrealisedFxLoss,
        PostingKey::BankCharges,
        PostingKey::RetainedEarnings,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostingKey::Inventory => "inventory",
            PostingKey::Cogs => "cogs",
            PostingKey::Grni => "grni",
            PostingKey::Receivables => "receivables",
            PostingKey::Payables => "payables",
            PostingKey::Revenue => "revenue",
            PostingKey::SalesReturns => "sales_returns",
            PostingKey::SalesTax => "sales_tax",
            PostingKey::FreightIncome => "freight_income",
            PostingKey::Bank => "bank",
            PostingKey::SalesDiscount => "sales_discount",
            PostingKey::PurchaseDiscount => "purchase_discount",
            PostingKey::WriteOff => "write_off",
            PostingKey::PurchasePriceVariance => "purchase_price_variance",
            PostingKey::InventoryAdjustment => "inventory_adjustment",
            PostingKey::OpeningBalance => "opening_balance",
            PostingKey::FxGain => "fx_gain",
            PostingKey::FxLoss => "fx_loss",
            PostingKey::IntercompanyDueFrom => "intercompany_due_from",
            PostingKey::IntercompanyDueTo => "intercompany_due_to",
            PostingKey::InTransit => "in_transit",
            PostingKey::UnappliedCash => "unapplied_cash",
            PostingKey::UnrealisedFxGain => "unrealised_fx_gain",
            PostingKey::UnrealisedFxLoss => "unrealised_fx_loss",
            PostingKey::BankCharges => "bank_charges",
            PostingKey::Manual => "manual",
            PostingKey::RetainedEarnings => "retained_earnings",
        }
    }

    pub fn parse(s: &str) -> Option<PostingKey> {
        PostingKey::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Keys whose account must equal open documents (GRNI = received not
    /// invoiced, unapplied cash = customers' credits, in transit = goods
    /// shipped between warehouses): like control accounts, only those
    /// documents post to them, never a manual entry.
    pub fn document_tied(self) -> bool {
        matches!(
            self,
            PostingKey::Grni | PostingKey::UnappliedCash | PostingKey::InTransit
        )
    }

    /// The control an account must carry to receive this key, if any.
    pub fn control(self) -> Option<Control> {
        match self {
            PostingKey::Inventory => Some(Control::Inventory),
            PostingKey::Receivables => Some(Control::Receivables),
            PostingKey::Payables => Some(Control::Payables),
            _ => None,
        }
    }
}

/// The state of a fiscal period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodStatus {
    Open,
    Closed,
    Locked,
}

/// One period of an entity's fiscal calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub entity: Code,
    /// `FY2026-01` style name.
    pub code: Code,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub status: PeriodStatus,
}

impl Period {
    /// The fiscal year this period is of, as `define_fiscal_year` named
    /// it (the year the fiscal year starts in: `FY2026-10` of a year from
    /// April ends in January 2027); a period named otherwise, the year it
    /// starts in.
    pub fn fiscal_year(&self) -> i32 {
        self.code
            .as_str()
            .strip_prefix("FY")
            .and_then(|r| r.split_once('-'))
            .and_then(|(y, _)| y.parse().ok())
            .unwrap_or_else(|| chrono::Datelike::year(&self.start))
    }
}

/// A stocking site, owned by one entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Warehouse {
    pub code: Code,
    pub entity: Code,
    pub name: String,
    #[serde(default)]
    pub address: Address,
}

/// What a bin is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinKind {
    PickFace,
    Bulk,
    Dock,
    Quarantine,
}

impl BinKind {
    pub fn parse(s: &str) -> Option<BinKind> {
        match s.trim() {
            "pick_face" => Some(BinKind::PickFace),
            "bulk" => Some(BinKind::Bulk),
            "dock" => Some(BinKind::Dock),
            "quarantine" => Some(BinKind::Quarantine),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            BinKind::PickFace => "pick_face",
            BinKind::Bulk => "bulk",
            BinKind::Dock => "dock",
            BinKind::Quarantine => "quarantine",
        }
    }
}

/// A storage location inside a warehouse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bin {
    pub warehouse: Code,
    pub code: Code,
    pub zone: Code,
    pub aisle: Code,
    /// Walking order of the pick path; pick lists sort by it.
    pub pick_seq: u32,
    pub kind: BinKind,
}

/// ABC classification (drives cycle-count frequency).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Abc {
    A,
    B,
    C,
}

/// An alternate unit of an item: `factor` base units make one `unit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AltUnit {
    pub unit: Code,
    pub factor: Decimal,
}

/// A barcode printed on an item or on a pack of it (GTIN or internal).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Barcode {
    pub code: String,
    /// The unit one scan of this barcode stands for (base or alternate).
    pub unit: Code,
}

/// A stocked item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub sku: Code,
    pub description: String,
    pub base_unit: Code,
    /// Decimals allowed in a quantity of the base unit (0 for each).
    #[serde(default)]
    pub qty_decimals: u32,
    #[serde(default)]
    pub alt_units: Vec<AltUnit>,
    #[serde(default)]
    pub barcodes: Vec<Barcode>,
    /// Kilograms per base unit.
    pub weight_kg: Decimal,
    pub tax_class: Code,
    pub abc: Abc,
    pub category: Code,
    #[serde(default)]
    pub lot_tracked: bool,
    /// Minimum gross margin in percent of price (governed).
    #[serde(default)]
    pub margin_floor_pct: Option<Decimal>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl Item {
    /// The kind of the item: its description before the first comma, in
    /// lower case ("hex bolt"). A substitute is of the same kind.
    pub fn kind(&self) -> Code {
        Code::from(
            self.description
                .split(',')
                .next()
                .unwrap_or_default()
                .trim()
                .to_lowercase(),
        )
    }

    /// Base units in one `unit` of this item, if the item knows the unit.
    pub fn unit_factor(&self, unit: &str) -> Option<Decimal> {
        if unit == self.base_unit {
            return Some(Decimal::ONE);
        }
        self.alt_units
            .iter()
            .find(|u| u.unit == unit)
            .map(|u| u.factor)
    }
}

/// A postal address (flat, so CSV maps onto it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(default)]
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub country: String,
}

/// Sales channel of a customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Counter,
    Field,
    Phone,
    RetailChain,
    Industrial,
    Ecommerce,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Counter,
        Channel::Field,
        Channel::Phone,
        Channel::RetailChain,
        Channel::Industrial,
        Channel::Ecommerce,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Counter => "counter",
            Channel::Field => "field",
            Channel::Phone => "phone",
            Channel::RetailChain => "retail_chain",
            Channel::Industrial => "industrial",
            Channel::Ecommerce => "ecommerce",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// Who pays the freight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FreightTerms {
    /// We pay and absorb it.
    Prepaid,
    /// We pay and add it to the invoice.
    PrepaidAndAdd,
    /// The customer pays the carrier.
    Collect,
}

impl FreightTerms {
    pub fn parse(s: &str) -> Option<FreightTerms> {
        match s.trim() {
            "prepaid" => Some(FreightTerms::Prepaid),
            "prepaid_and_add" => Some(FreightTerms::PrepaidAndAdd),
            "collect" => Some(FreightTerms::Collect),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            FreightTerms::Prepaid => "prepaid",
            FreightTerms::PrepaidAndAdd => "prepaid_and_add",
            FreightTerms::Collect => "collect",
        }
    }
}

/// How a customer wants to be shipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipPolicy {
    /// Hold the order until every line can ship.
    pub ship_complete: bool,
    #[serde(default)]
    pub carrier: Option<Code>,
    #[serde(default)]
    pub service: Option<Code>,
    pub freight_terms: FreightTerms,
    /// Days from order to the latest acceptable arrival, if the customer sets one.
    #[serde(default)]
    pub must_arrive_within_days: Option<u32>,
}

/// A named contact (collections, purchasing).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

/// A customer of one selling entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub code: Code,
    pub name: String,
    pub entity: Code,
    pub channel: Channel,
    pub currency: Currency,
    pub terms: Code,
    /// In the customer's currency (governed).
    pub credit_limit: Decimal,
    /// Days past due tolerated before new orders go on credit hold.
    #[serde(default)]
    pub grace_days: u32,
    /// Exemption certificate number; empty when the customer is taxable.
    #[serde(default)]
    pub tax_exempt_cert: String,
    /// Price list (governed).
    pub price_list: Code,
    pub bill_to: Address,
    #[serde(default)]
    pub ship_to: Vec<ShipTo>,
    pub ship_policy: ShipPolicy,
    #[serde(default)]
    pub collections: Contact,
    #[serde(default = "yes")]
    pub active: bool,
}

/// A delivery address of a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipTo {
    pub code: Code,
    pub address: Address,
}

/// An item a supplier sells us.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplierItem {
    pub sku: Code,
    pub supplier_sku: String,
    /// Price per `unit`, in the supplier's currency.
    pub price: Decimal,
    pub unit: Code,
    #[serde(default)]
    pub min_qty: Decimal,
}

/// A supplier of one buying entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supplier {
    pub code: Code,
    pub name: String,
    pub entity: Code,
    pub currency: Currency,
    pub terms: Code,
    pub lead_time_days: u32,
    /// Observed lead times of past receipts, newest last (bounded).
    #[serde(default)]
    pub lead_time_history: Vec<u32>,
    /// Minimum order value in the supplier's currency.
    #[serde(default)]
    pub min_order_amount: Decimal,
    #[serde(default)]
    pub items: Vec<SupplierItem>,
    #[serde(default)]
    pub address: Address,
    #[serde(default = "yes")]
    pub active: bool,
}

/// How an item is replenished in a warehouse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplenishmentMethod {
    /// Order up to `max` when the stock position falls to `min` or below.
    MinMax,
    /// Reorder point: demand forecast over the supplier's lead time plus
    /// safety stock from the demand's variability at a service level;
    /// order up to the reorder point plus the review period's demand.
    ReorderPoint,
}

/// The replenishment policy of an item in one warehouse (SPEC 3.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplenishmentPolicy {
    pub warehouse: Code,
    pub sku: Code,
    pub method: ReplenishmentMethod,
    /// Min/max levels in base units (min/max method).
    #[serde(default)]
    pub min: Decimal,
    #[serde(default)]
    pub max: Decimal,
    /// Chance in percent of not running out during a lead time (reorder
    /// point method), 50 to 99.9.
    #[serde(default = "ninety_five")]
    pub service_level_pct: Decimal,
    /// Days between reviews: the order covers them too (reorder point).
    #[serde(default)]
    pub review_days: u32,
    /// Weeks of shipped demand the forecast reads (reorder point), 4 to 104.
    #[serde(default = "thirteen")]
    pub history_weeks: u32,
    /// The supplier to buy from; default: the cheapest active supplier of
    /// the warehouse's entity that lists the item.
    #[serde(default)]
    pub supplier: Option<Code>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn ninety_five() -> Decimal {
    Decimal::from(95)
}

fn thirteen() -> u32 {
    13
}

/// A quantity break: from `min_qty` base units, the unit price is `price`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QtyBreak {
    pub min_qty: Decimal,
    pub price: Decimal,
}

/// A list price of an item with its quantity breaks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListPrice {
    pub sku: Code,
    /// Price per base unit.
    pub price: Decimal,
    #[serde(default)]
    pub breaks: Vec<QtyBreak>,
}

/// A price list in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceList {
    pub code: Code,
    pub name: String,
    pub currency: Currency,
    #[serde(default)]
    pub prices: BTreeMap<Code, ListPrice>,
}

/// A customer's contract price for an item, valid between two dates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractPrice {
    /// Contract reference, unique.
    pub code: Code,
    pub customer: Code,
    pub sku: Code,
    pub currency: Currency,
    pub price: Decimal,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    #[serde(default)]
    pub breaks: Vec<QtyBreak>,
}

/// A tax rate for a jurisdiction and tax class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxCode {
    pub code: Code,
    pub jurisdiction: Code,
    pub tax_class: Code,
    /// Percent, e.g. 8.25.
    pub rate_pct: Decimal,
    pub description: String,
}

/// A level of service of a carrier with its daily cutoff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierService {
    pub code: Code,
    pub name: String,
    pub cutoff: NaiveTime,
    pub transit_days: u32,
}

/// A carrier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Carrier {
    pub code: Code,
    pub name: String,
    pub services: Vec<CarrierService>,
}

/// Payment terms such as 2/10 net 30.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentTerms {
    pub code: Code,
    pub description: String,
    pub net_days: u32,
    #[serde(default)]
    pub discount_days: u32,
    /// Percent, e.g. 2 for 2 %.
    #[serde(default)]
    pub discount_pct: Decimal,
}

/// An FX rate: one unit of `from` is worth `rate` units of `to` on `date`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxRate {
    pub from: Currency,
    pub to: Currency,
    pub date: NaiveDate,
    pub rate: Decimal,
}

/// A person who signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    pub code: Code,
    pub name: String,
    pub roles: Vec<Role>,
    /// OpenSSH public keys (`ssh-ed25519 AAAA... comment`).
    #[serde(default)]
    pub ssh_keys: Vec<String>,
    #[serde(default)]
    pub default_warehouse: Option<Code>,
    /// Name of a keymap in `keymaps/` (default when empty).
    #[serde(default)]
    pub keymap: String,
    #[serde(default = "yes")]
    pub active: bool,
}

impl Operator {
    /// An active admin with no keys, default warehouse or keymap: what
    /// the demo, the benches and the generated histories sign in as.
    pub fn admin(code: &str, name: &str) -> Operator {
        Operator {
            code: code.into(),
            name: name.into(),
            roles: vec![super::auth::Role::Admin],
            ssh_keys: vec![],
            default_warehouse: None,
            keymap: String::new(),
            active: true,
        }
    }
}

/// Any master record, as carried by a change request and by `MasterUpserted`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Record {
    Entity(Entity),
    Account(Account),
    Warehouse(Warehouse),
    Bin(Bin),
    Item(Item),
    Customer(Customer),
    Supplier(Supplier),
    PriceList(PriceList),
    ContractPrice(ContractPrice),
    TaxCode(TaxCode),
    Carrier(Carrier),
    PaymentTerms(PaymentTerms),
    Operator(Operator),
    Replenishment(ReplenishmentPolicy),
}

/// The kind of a master record, for messages and lookups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Entity,
    Account,
    Period,
    Warehouse,
    Bin,
    Item,
    Customer,
    Supplier,
    PriceList,
    ContractPrice,
    TaxCode,
    Carrier,
    PaymentTerms,
    FxRate,
    Operator,
    ChangeRequest,
    Unit,
    Barcode,
    SalesOrder,
    PickList,
    Shipment,
    Invoice,
    Return,
    PurchaseOrder,
    SupplierInvoice,
    GoodsReceipt,
    Count,
    Transfer,
    ReplenishmentPolicy,
    JournalEntry,
    BankStatement,
    BankLine,
    BookItem,
    // New kinds at the end: rejections naming a kind are persisted.
    Printer,
    /// An exception of the supervisor's queue.
    Exception,
    ChannelPolicy,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Entity => "entity",
            RecordKind::Account => "account",
            RecordKind::Period => "period",
            RecordKind::Warehouse => "warehouse",
            RecordKind::Bin => "bin",
            RecordKind::Item => "item",
            RecordKind::Customer => "customer",
            RecordKind::Supplier => "supplier",
            RecordKind::PriceList => "price list",
            RecordKind::ContractPrice => "contract price",
            RecordKind::TaxCode => "tax code",
            RecordKind::Carrier => "carrier",
            RecordKind::PaymentTerms => "payment terms",
            RecordKind::FxRate => "fx rate",
            RecordKind::Operator => "operator",
            RecordKind::ChangeRequest => "change request",
            RecordKind::Unit => "unit",
            RecordKind::Barcode => "barcode",
            RecordKind::SalesOrder => "sales order",
            RecordKind::PickList => "pick list",
            RecordKind::Shipment => "shipment",
            RecordKind::Invoice => "invoice",
            RecordKind::Return => "return",
            RecordKind::PurchaseOrder => "purchase order",
            RecordKind::SupplierInvoice => "supplier invoice",
            RecordKind::GoodsReceipt => "goods receipt",
            RecordKind::Count => "count",
            RecordKind::Transfer => "transfer",
            RecordKind::ReplenishmentPolicy => "replenishment policy",
            RecordKind::JournalEntry => "journal entry",
            RecordKind::BankStatement => "bank statement",
            RecordKind::BankLine => "bank statement line",
            RecordKind::BookItem => "uncleared bank item",
            RecordKind::Printer => "printer",
            RecordKind::Exception => "exception",
            RecordKind::ChannelPolicy => "channel policy",
        }
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Record {
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Entity(_) => RecordKind::Entity,
            Record::Account(_) => RecordKind::Account,
            Record::Warehouse(_) => RecordKind::Warehouse,
            Record::Bin(_) => RecordKind::Bin,
            Record::Item(_) => RecordKind::Item,
            Record::Customer(_) => RecordKind::Customer,
            Record::Supplier(_) => RecordKind::Supplier,
            Record::PriceList(_) => RecordKind::PriceList,
            Record::ContractPrice(_) => RecordKind::ContractPrice,
            Record::TaxCode(_) => RecordKind::TaxCode,
            Record::Carrier(_) => RecordKind::Carrier,
            Record::PaymentTerms(_) => RecordKind::PaymentTerms,
            Record::Operator(_) => RecordKind::Operator,
            Record::Replenishment(_) => RecordKind::ReplenishmentPolicy,
        }
    }

    /// The key shown to people: `US01/1200` for an account, `WH1/A-01-01` for a bin.
    pub fn key(&self) -> String {
        match self {
            Record::Entity(r) => r.code.to_string(),
            Record::Account(r) => format!("{}/{}", r.entity, r.code),
            Record::Warehouse(r) => r.code.to_string(),
            Record::Bin(r) => format!("{}/{}", r.warehouse, r.code),
            Record::Item(r) => r.sku.to_string(),
            Record::Customer(r) => r.code.to_string(),
            Record::Supplier(r) => r.code.to_string(),
            Record::PriceList(r) => r.code.to_string(),
            Record::ContractPrice(r) => r.code.to_string(),
            Record::TaxCode(r) => r.code.to_string(),
            Record::Carrier(r) => r.code.to_string(),
            Record::PaymentTerms(r) => r.code.to_string(),
            Record::Operator(r) => r.code.to_string(),
            Record::Replenishment(r) => format!("{}/{}", r.warehouse, r.sku),
        }
    }
}
