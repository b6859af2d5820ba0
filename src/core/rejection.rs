//! Why a command was refused. Each variant is a precise reason a clerk can
//! read, with a stable snake_case `code()` that scripts rely on.

use super::auth::Permission;
use super::master::{PeriodStatus, PostingKey, RecordKind};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    #[error("operator {operator} is not known")]
    UnknownOperator { operator: String },
    #[error("operator {operator} is inactive")]
    OperatorInactive { operator: String },
    #[error("operator {operator} lacks the permission {permission}")]
    NotPermitted {
        operator: String,
        permission: Permission,
    },
    #[error("the store has no operators yet: the first command must create an admin operator")]
    BootstrapNeedsAdmin,
    #[error("{kind} {key} already exists")]
    AlreadyExists { kind: RecordKind, key: String },
    #[error("{kind} {key} does not exist")]
    NotFound { kind: RecordKind, key: String },
    #[error("{field} {value:?} {problem}")]
    InvalidCode {
        field: String,
        value: String,
        problem: String,
    },
    #[error("{field} {problem}")]
    InvalidText { field: String, problem: String },
    #[error("{field} {value:?} is not a currency code (three capital letters, e.g. USD)")]
    InvalidCurrency { field: String, value: String },
    #[error("{field} must not be negative (got {value})")]
    Negative { field: String, value: Decimal },
    #[error("{field} must be more than zero (got {value})")]
    NotPositive { field: String, value: Decimal },
    #[error("{field} {value} has more than {max} decimals")]
    TooManyDecimals {
        field: String,
        value: Decimal,
        max: u32,
    },
    #[error("{field} {value} is out of range ({min} to {max})")]
    OutOfRange {
        field: String,
        value: String,
        min: String,
        max: String,
    },
    #[error("barcode {value:?} is not valid: {problem}")]
    InvalidBarcode { value: String, problem: String },
    #[error("barcode {barcode} already belongs to item {sku}")]
    BarcodeInUse { barcode: String, sku: String },
    #[error("{field} lists {value} twice")]
    Duplicate { field: String, value: String },
    #[error("item {sku} has no unit {unit}")]
    UnknownUnit { sku: String, unit: String },
    #[error("{field} {value} belongs to entity {actual}, not {expected}")]
    WrongEntity {
        field: String,
        value: String,
        expected: String,
        actual: String,
    },
    #[error("{field} is in {actual}, expected {expected}")]
    CurrencyMismatch {
        field: String,
        expected: String,
        actual: String,
    },
    #[error("date range {from} to {to} is empty")]
    InvalidDateRange { from: NaiveDate, to: NaiveDate },
    #[error("{field} of {kind} {key} cannot change: {reason}")]
    Immutable {
        kind: RecordKind,
        key: String,
        field: String,
        reason: String,
    },
    #[error(
        "posting key {key:?} of entity {entity} needs a {expected} account, {account} is not one"
    )]
    WrongAccountForKey {
        entity: String,
        key: PostingKey,
        account: String,
        expected: String,
    },
    #[error("entity {entity} has no posting rule for {key:?}")]
    PostingRuleMissing { entity: String, key: PostingKey },
    #[error("entity {entity} has no period for {date}")]
    NoPeriod { entity: String, date: NaiveDate },
    #[error("period {period} of entity {entity} is {status:?}: nothing posts into it")]
    PeriodNotOpen {
        entity: String,
        period: String,
        status: PeriodStatus,
    },
    /// As logged before the refusal named the periods that overlap
    /// (`FiscalYearOverlaps` now): kept so that old logs read back.
    #[error("fiscal year {year} of entity {entity} overlaps periods that exist")]
    PeriodsOverlap { entity: String, year: i32 },
    #[error("change request {id} was raised by you: somebody else must approve it")]
    OwnChange { id: u64 },
    #[error("{subject} already has a pending change request ({id})")]
    ChangePending { subject: String, id: u64 },
    #[error("journal does not balance: debits {debit}, credits {credit}")]
    Unbalanced { debit: Decimal, credit: Decimal },
    #[error("{kind} {key} is inactive")]
    Inactive { kind: RecordKind, key: String },
    #[error("item {sku} is lot-tracked: a lot is required")]
    LotRequired { sku: String },
    #[error("item {sku} is not lot-tracked: no lot expected")]
    LotNotExpected { sku: String },
    #[error("nothing to change: the record is the same")]
    NoChange,
    #[error("idempotency key {key:?} was used for a different command")]
    KeyConflict { key: String },
    #[error("idempotency key {problem}")]
    InvalidKey { problem: String },
    // Order to cash. New variants go at the end: keyed rejections are
    // persisted, and bincode identifies a variant by its position.
    #[error("item {sku} has no price on price list {price_list} and no contract")]
    NoPrice { sku: String, price_list: String },
    #[error("an order needs at least one line")]
    EmptyOrder,
    #[error("order {number} is {status:?}: cannot {action}")]
    OrderState {
        number: String,
        status: crate::core::sales::OrderStatus,
        action: String,
    },
    #[error("{number} is your own work (you placed, entered or packed it): another operator must decide on it")]
    OwnOrder { number: String },
    #[error("order {number} ships complete: line {line} is short {short}")]
    ShipComplete {
        number: String,
        line: u32,
        short: Decimal,
    },
    #[error("order {number} has nothing reserved to release")]
    NothingToRelease { number: String },
    #[error("pick list {list} {problem}")]
    PickState { list: String, problem: String },
    #[error("wrong bin: scanned {scanned}, expected {expected}")]
    WrongBin { expected: String, scanned: String },
    #[error("wrong item: scanned {scanned}, expected {expected}")]
    WrongItem { expected: String, scanned: String },
    #[error("lot {lot} of {sku}: {problem}")]
    LotExpiry {
        sku: String,
        lot: String,
        problem: String,
    },
    #[error("wrong lot: scanned {scanned}, expected lot {expected}")]
    WrongLot { expected: String, scanned: String },
    #[error("the scan cannot be read: {problem}")]
    BadScan { problem: String },
    #[error("shipment {shipment} cannot be invoiced: {problem}")]
    NotInvoiceable { shipment: String, problem: String },
    #[error("no tax code for jurisdiction {jurisdiction} and tax class {tax_class}")]
    NoTaxCode {
        jurisdiction: String,
        tax_class: String,
    },
    #[error("invoice {invoice} cannot be paid: {problem}")]
    NotPayable { invoice: String, problem: String },
    #[error("order {number} cannot be changed: {problem}")]
    OrderChange { number: String, problem: String },
    #[error("{document} {problem}")]
    PurchaseState { document: String, problem: String },
    #[error("{po} line {line}: {qty} more would make {received} + {qty} of {ordered} ordered, beyond the over-receipt tolerance")]
    OverReceipt {
        po: String,
        line: u32,
        ordered: Decimal,
        received: Decimal,
        qty: Decimal,
    },
    #[error("count {count} {problem}")]
    CountState { count: String, problem: String },
    #[error("counter sale refused: {problem}")]
    CounterSale { problem: String },
    #[error("{document} cannot be returned: {problem}")]
    NotReturnable { document: String, problem: String },
    #[error("{amount} applied to {invoice}, which has {open} open")]
    Overpaid {
        invoice: String,
        open: Decimal,
        amount: Decimal,
    },
    #[error("period {period} of entity {entity} {problem}")]
    PeriodState {
        entity: String,
        period: String,
        problem: String,
    },
    #[error("period {period} of entity {entity} cannot close: {items}")]
    CloseBlocked {
        entity: String,
        period: String,
        items: String,
    },
    #[error("account {account} is posted by its documents only (a control account, or one open documents must equal), not by hand")]
    ControlAccount { account: String },
    #[error("bank statement line {line}: {problem}")]
    BankMatch { line: String, problem: String },
    /// A counter sale refused for a reason of its own (stock, credit,
    /// price floor, tender), typed so that a screen can point at the step
    /// and the line. Replaces `CounterSale { problem }`, which old stores
    /// may still hold.
    #[error("counter sale refused ({step}): {reason}")]
    CounterSaleRefused {
        step: crate::core::counter::CounterStep,
        reason: crate::core::counter::CounterRefusal,
    },
    // New variants at the end: bincode numbers variants, and keyed
    // rejections are persisted.
    #[error(
        "supplier {supplier} already has an invoice with reference {reference}: \
         each supplier reference is entered once"
    )]
    DuplicateSupplierReference { supplier: String, reference: String },
    #[error(
        "customer {customer} has {available} of credit on account, not the {applied} asked for"
    )]
    InsufficientCredit {
        customer: String,
        available: Decimal,
        applied: Decimal,
    },
    #[error("the receipt brings {amount} but {applied} is applied to invoices")]
    ReceiptOverapplied { amount: Decimal, applied: Decimal },
    #[error(
        "operator {operator} is locked after repeated failed sign-ins until {}; \
         a supervisor can unlock",
        .until.format("%Y-%m-%d %H:%M UTC")
    )]
    SignInLocked {
        operator: String,
        until: chrono::DateTime<chrono::Utc>,
    },
    #[error("operator {operator} must choose a new PIN or password first")]
    PasswordNeeded { operator: String },
    #[error("the password hash is {problem}")]
    BadCredential { problem: String },
    #[error("only a new store can be declared the demo (this one has documents)")]
    DemoNeedsNewStore,
    #[error("{zone:?} is not an IANA time zone (e.g. America/Chicago)")]
    UnknownTimeZone { zone: String },
    #[error(
        "the time zone of {place} cannot change from {from}: dates already given would change; \
         the earliest is {earliest}"
    )]
    TimeZoneRetroactive {
        place: String,
        from: chrono::NaiveDate,
        earliest: chrono::NaiveDate,
    },
    #[error("fiscal year {year} of {entity} {problem}")]
    YearClose {
        entity: String,
        year: i32,
        problem: String,
    },
    #[error("intercompany settlement refused: {problem}")]
    IntercompanySettlement { problem: String },
    /// Segregation of duties in the exception queue: the person who
    /// raised it (under any of their operator codes) may not approve it.
    #[error("you requested this {what} (exception {id}): somebody else must approve it")]
    OwnRequest { id: u64, what: String },
    #[error("exception {id} {problem}")]
    ExceptionAction { id: u64, problem: String },
    /// A debit memo or supplier debit note on a document it cannot be
    /// raised on.
    #[error("{document} cannot take a debit: {problem}")]
    NotDebitable { document: String, problem: String },
    #[error(
        "supplier {supplier} owes us {available} (its debit balance), not the {asked} asked for"
    )]
    InsufficientSupplierDebit {
        supplier: String,
        available: Decimal,
        asked: Decimal,
    },
    #[error("invoice {invoice} has no disputed amount to resolve")]
    NotDisputed { invoice: String },
    #[error("{operator} may write off up to {limit}, not {amount}: give it to a controller")]
    AboveAuthority {
        operator: String,
        amount: Decimal,
        limit: Decimal,
    },
    #[error("the bank reconciliation of {entity} {period} is not done: {lines} statement line(s) dated by its end are unmatched")]
    BankUnreconciled {
        entity: String,
        period: String,
        lines: u64,
    },
    /// A customer override beyond what its channel policy allows.
    /// `detail`: the value, the policy and its limit ("10: channel policy
    /// retail_chain/CA01 allows at most 5").
    #[error("customer {customer} may not have {field} {detail}")]
    OverrideBeyondLimit {
        customer: String,
        field: String,
        detail: String,
    },
    #[error("customer {customer} has no channel policy ({channel} in {entity}) to override")]
    NoChannelPolicy {
        customer: String,
        entity: String,
        channel: String,
    },
    #[error("customer {customer} takes no backorders ({decided_by}): line {line} ({sku}) is {short} short; order what is available")]
    NoBackorders {
        customer: String,
        line: u32,
        sku: String,
        short: Decimal,
        decided_by: String,
    },
    #[error("customer {customer} takes backorders promised within {horizon_days} days ({decided_by}): line {line} ({sku}) could only be promised for {promise}")]
    BeyondHorizon {
        customer: String,
        line: u32,
        sku: String,
        promise: NaiveDate,
        horizon_days: u32,
        decided_by: String,
    },
    #[error("no shipment is due for invoicing on {as_of}")]
    NothingDue { as_of: NaiveDate },
    /// An action on a kind computed on the clock that is not one now (it
    /// cleared, or its promise, must-arrive day or credit moved on).
    #[error("{what} is not an exception now: it cleared or moved on")]
    NotAnException { what: String },
    #[error("nothing closed before {before} to archive (closed orders, bank lines of reconciled periods)")]
    NothingToArchive { before: NaiveDate },
    #[error("{kind} {number} is archived: read it with `depot archive --show {number}`; nothing can be done against it")]
    DocumentArchived { kind: String, number: String },
    /// The bank lines of reconciled periods through `through` left
    /// memory: a period ending by then cannot be reconciled again.
    #[error("the bank reconciliation of {entity} is archived through {through}: period {period} ends by then; reconcile the periods after it")]
    BankArchivedThrough {
        entity: String,
        period: String,
        through: NaiveDate,
    },
    // Variants are only ever added here, at the end: the log stores them
    // by their position, and an insertion misreads every later one in the
    // stores written before (tests/store_compat.rs holds the order).
    /// An item's tax class that no tax code carries: the item could never
    /// be invoiced. `known` lists the classes the tax codes carry.
    #[error("tax class {tax_class} is the class of no tax code, so the item could never be invoiced; {}", known_classes(.known))]
    UnknownTaxClass {
        tax_class: String,
        known: Vec<String>,
    },
    /// A tax code moved to another class while it is the only one of its
    /// class and items are of that class: they would be left with a class
    /// no tax code carries, which could never be invoiced (the items'
    /// side of `UnknownTaxClass`). `skus` are the first few of them.
    #[error("tax code {code} is the only one of tax class {tax_class}, the class of {}: moved to class {new_class}, they could never be invoiced; give them another class first, or create another tax code of class {tax_class}", items_named(.items, .skus))]
    TaxClassInUse {
        code: String,
        tax_class: String,
        new_class: String,
        items: u64,
        skus: Vec<String>,
    },
    /// A fiscal year whose periods overlap periods of the entity that
    /// exist (the same year again: an entity's years all start in its
    /// fiscal_year_start_month, which periods make immutable): the first
    /// of its periods that overlaps one, the first one it overlaps, and
    /// how many of the entity's periods it overlaps.
    #[error("fiscal year {year} of entity {entity} overlaps periods that exist: its period {period} ({start} to {end}) overlaps period {existing} ({existing_start} to {existing_end}), one of {overlapped} period{} of entity {entity} it overlaps", if *.overlapped == 1 { "" } else { "s" })]
    FiscalYearOverlaps {
        entity: String,
        year: i32,
        period: String,
        start: NaiveDate,
        end: NaiveDate,
        existing: String,
        existing_start: NaiveDate,
        existing_end: NaiveDate,
        overlapped: u64,
    },
    /// An SSH key given to an operator that is another operator's: the
    /// key signs in whom it belongs to, so it may be one operator's only.
    /// (A key listed twice for one operator is `Duplicate`.)
    #[error("SSH key {key} is already operator {operator}'s: an SSH key signs in one operator; give {wanted_by} a key of its own")]
    SshKeyInUse {
        key: String,
        operator: String,
        wanted_by: String,
    },
    /// An order whose reserved stock lies only in bin positions a picker
    /// found empty (kept from picking until counted): a release would
    /// send pickers back to them. `bins` name their warehouse (`CHI
    /// B-04-08`).
    #[error("order {number} waits on a count: its stock is only in {}, found empty by a picker; count {} first", .bins.join(", "), if .bins.len() == 1 { "it" } else { "them" })]
    WaitsOnCount { number: String, bins: Vec<String> },
}

/// "3 items (A, B, C)", "1 item (A)", "66 items (A, B, C, ... and 63 more)".
fn items_named(items: &u64, skus: &[String]) -> String {
    let items = *items;
    let more = items.saturating_sub(skus.len() as u64);
    format!(
        "{items} item{} ({}{})",
        if items == 1 { "" } else { "s" },
        skus.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

fn known_classes(known: &[String]) -> String {
    if known.is_empty() {
        "there is no tax code yet: create the tax codes first".into()
    } else {
        format!("the tax codes' classes are {}", known.join(", "))
    }
}

/// Every rejection code, for documentation and coverage tests. Keep in
/// step with [`Rejection::code`].
pub const ALL_CODES: &[&str] = &[
    "unknown_operator",
    "operator_inactive",
    "not_permitted",
    "bootstrap_needs_admin",
    "already_exists",
    "not_found",
    "invalid_code",
    "invalid_text",
    "invalid_currency",
    "negative",
    "not_positive",
    "too_many_decimals",
    "out_of_range",
    "invalid_barcode",
    "barcode_in_use",
    "ssh_key_in_use",
    "duplicate",
    "unknown_unit",
    "wrong_entity",
    "currency_mismatch",
    "invalid_date_range",
    "immutable",
    "wrong_account_for_key",
    "posting_rule_missing",
    "no_period",
    "period_not_open",
    "periods_overlap",
    "own_change",
    "change_pending",
    "unbalanced",
    "inactive",
    "lot_required",
    "lot_not_expected",
    "no_change",
    "key_conflict",
    "invalid_key",
    "no_price",
    "empty_order",
    "order_state",
    "own_order",
    "ship_complete",
    "nothing_to_release",
    "waits_on_count",
    "pick_state",
    "wrong_bin",
    "wrong_item",
    "wrong_lot",
    "lot_expiry",
    "bad_scan",
    "not_invoiceable",
    "no_tax_code",
    "unknown_tax_class",
    "tax_class_in_use",
    "not_payable",
    "overpaid",
    "not_returnable",
    "counter_sale",
    "order_change",
    "purchase_state",
    "over_receipt",
    "count_state",
    "period_state",
    "close_blocked",
    "control_account",
    "bank_match",
    "bank_archived",
    "duplicate_reference",
    "insufficient_credit",
    "receipt_overapplied",
    "sign_in_locked",
    "password_needed",
    "bad_credential",
    "demo_needs_new_store",
    "unknown_time_zone",
    "time_zone_retroactive",
    "year_close",
    "intercompany_settlement",
    "own_request",
    "exception_action",
    "not_debitable",
    "insufficient_supplier_debit",
    "not_disputed",
    "above_authority",
    "override_beyond_limit",
    "no_channel_policy",
    "no_backorders",
    "beyond_horizon",
    "nothing_due",
    "not_an_exception",
    "nothing_to_archive",
    "document_archived",
];

impl Rejection {
    /// `field`'s `value` is outside `min` to `max`.
    pub fn out_of_range(
        field: impl std::fmt::Display,
        value: impl std::fmt::Display,
        min: impl std::fmt::Display,
        max: impl std::fmt::Display,
    ) -> Rejection {
        Rejection::OutOfRange {
            field: field.to_string(),
            value: value.to_string(),
            min: min.to_string(),
            max: max.to_string(),
        }
    }

    /// The stable snake_case code of this rejection.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::UnknownOperator { .. } => "unknown_operator",
            Rejection::OperatorInactive { .. } => "operator_inactive",
            Rejection::NotPermitted { .. } => "not_permitted",
            Rejection::BootstrapNeedsAdmin => "bootstrap_needs_admin",
            Rejection::AlreadyExists { .. } => "already_exists",
            Rejection::NotFound { .. } => "not_found",
            Rejection::InvalidCode { .. } => "invalid_code",
            Rejection::InvalidText { .. } => "invalid_text",
            Rejection::InvalidCurrency { .. } => "invalid_currency",
            Rejection::Negative { .. } => "negative",
            Rejection::NotPositive { .. } => "not_positive",
            Rejection::TooManyDecimals { .. } => "too_many_decimals",
            Rejection::OutOfRange { .. } => "out_of_range",
            Rejection::InvalidBarcode { .. } => "invalid_barcode",
            Rejection::BarcodeInUse { .. } => "barcode_in_use",
            Rejection::SshKeyInUse { .. } => "ssh_key_in_use",
            Rejection::Duplicate { .. } => "duplicate",
            Rejection::UnknownUnit { .. } => "unknown_unit",
            Rejection::WrongEntity { .. } => "wrong_entity",
            Rejection::CurrencyMismatch { .. } => "currency_mismatch",
            Rejection::InvalidDateRange { .. } => "invalid_date_range",
            Rejection::Immutable { .. } => "immutable",
            Rejection::WrongAccountForKey { .. } => "wrong_account_for_key",
            Rejection::PostingRuleMissing { .. } => "posting_rule_missing",
            Rejection::NoPeriod { .. } => "no_period",
            Rejection::PeriodNotOpen { .. } => "period_not_open",
            Rejection::PeriodsOverlap { .. } | Rejection::FiscalYearOverlaps { .. } => {
                "periods_overlap"
            }
            Rejection::OwnChange { .. } => "own_change",
            Rejection::ChangePending { .. } => "change_pending",
            Rejection::Unbalanced { .. } => "unbalanced",
            Rejection::Inactive { .. } => "inactive",
            Rejection::LotRequired { .. } => "lot_required",
            Rejection::LotNotExpected { .. } => "lot_not_expected",
            Rejection::NoChange => "no_change",
            Rejection::KeyConflict { .. } => "key_conflict",
            Rejection::InvalidKey { .. } => "invalid_key",
            Rejection::NoPrice { .. } => "no_price",
            Rejection::EmptyOrder => "empty_order",
            Rejection::OrderState { .. } => "order_state",
            Rejection::OwnOrder { .. } => "own_order",
            Rejection::ShipComplete { .. } => "ship_complete",
            Rejection::NothingToRelease { .. } => "nothing_to_release",
            Rejection::WaitsOnCount { .. } => "waits_on_count",
            Rejection::PickState { .. } => "pick_state",
            Rejection::WrongBin { .. } => "wrong_bin",
            Rejection::WrongItem { .. } => "wrong_item",
            Rejection::WrongLot { .. } => "wrong_lot",
            Rejection::LotExpiry { .. } => "lot_expiry",
            Rejection::BadScan { .. } => "bad_scan",
            Rejection::NotInvoiceable { .. } => "not_invoiceable",
            Rejection::NoTaxCode { .. } => "no_tax_code",
            Rejection::UnknownTaxClass { .. } => "unknown_tax_class",
            Rejection::TaxClassInUse { .. } => "tax_class_in_use",
            Rejection::NotPayable { .. } => "not_payable",
            Rejection::Overpaid { .. } => "overpaid",
            Rejection::PeriodState { .. } => "period_state",
            Rejection::CloseBlocked { .. } => "close_blocked",
            Rejection::ControlAccount { .. } => "control_account",
            Rejection::BankMatch { .. } => "bank_match",
            Rejection::BankUnreconciled { .. } => "bank_unreconciled",
            Rejection::BankArchivedThrough { .. } => "bank_archived",
            Rejection::NotReturnable { .. } => "not_returnable",
            Rejection::CounterSale { .. } | Rejection::CounterSaleRefused { .. } => "counter_sale",
            Rejection::OrderChange { .. } => "order_change",
            Rejection::PurchaseState { .. } => "purchase_state",
            Rejection::OverReceipt { .. } => "over_receipt",
            Rejection::CountState { .. } => "count_state",
            Rejection::DuplicateSupplierReference { .. } => "duplicate_reference",
            Rejection::InsufficientCredit { .. } => "insufficient_credit",
            Rejection::ReceiptOverapplied { .. } => "receipt_overapplied",
            Rejection::SignInLocked { .. } => "sign_in_locked",
            Rejection::PasswordNeeded { .. } => "password_needed",
            Rejection::BadCredential { .. } => "bad_credential",
            Rejection::DemoNeedsNewStore => "demo_needs_new_store",
            Rejection::UnknownTimeZone { .. } => "unknown_time_zone",
            Rejection::TimeZoneRetroactive { .. } => "time_zone_retroactive",
            Rejection::YearClose { .. } => "year_close",
            Rejection::IntercompanySettlement { .. } => "intercompany_settlement",
            Rejection::OwnRequest { .. } => "own_request",
            Rejection::ExceptionAction { .. } => "exception_action",
            Rejection::NotDebitable { .. } => "not_debitable",
            Rejection::InsufficientSupplierDebit { .. } => "insufficient_supplier_debit",
            Rejection::NotDisputed { .. } => "not_disputed",
            Rejection::AboveAuthority { .. } => "above_authority",
            Rejection::OverrideBeyondLimit { .. } => "override_beyond_limit",
            Rejection::NoChannelPolicy { .. } => "no_channel_policy",
            Rejection::NoBackorders { .. } => "no_backorders",
            Rejection::BeyondHorizon { .. } => "beyond_horizon",
            Rejection::NothingDue { .. } => "nothing_due",
            Rejection::NotAnException { .. } => "not_an_exception",
            Rejection::NothingToArchive { .. } => "nothing_to_archive",
            Rejection::DocumentArchived { .. } => "document_archived",
        }
    }
}
