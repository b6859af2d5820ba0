//! Events: what happened, the only thing persisted. `apply` turns them into
//! state and cannot fail. Plain data for bincode (externally tagged enums).

use super::master::*;
use super::posting::JournalEntry;
use super::rejection::Rejection;
use super::sales::{Hold, SalesOrder};
use super::types::Code;
use super::warehouse::{PickLine, PickList, Shipment};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A governed change waiting for a second person. Rare, so the size
/// difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Record(Record),
    PostingRule {
        entity: Code,
        key: PostingKey,
        account: Code,
    },
    CategoryMarginFloor {
        category: Code,
        pct: Option<Decimal>,
    },
    ReopenPeriod {
        entity: Code,
        period: Code,
        reason: String,
    },
    /// An entity's or a warehouse's time zone from a date on.
    TimeZone {
        place: super::zone::Place,
        zone: String,
        from: chrono::NaiveDate,
    },
    /// The data-quality rules of an entity (None: the default).
    DataQualityRules {
        entity: Option<Code>,
        rules: super::quality::QualityRules,
    },
    /// Who owns an exception kind in an entity (or one of its
    /// warehouses), its service level and threshold.
    ExceptionRouting {
        entity: Code,
        warehouse: Option<Code>,
        kind: super::exceptions::ExceptionKind,
        route: super::exceptions::Route,
    },
    /// A channel policy's new values.
    ChannelPolicy(super::channel::ChannelPolicy),
}

impl Change {
    /// What the change is about, for the exception queue: `customer C100`.
    pub fn subject(&self) -> String {
        match self {
            Change::Record(r) => format!("{} {}", r.kind(), r.key()),
            Change::PostingRule { entity, key, .. } => {
                format!("posting rule {entity}/{}", key.as_str())
            }
            Change::CategoryMarginFloor { category, .. } => {
                format!("margin floor of category {category}")
            }
            Change::ReopenPeriod { entity, period, .. } => {
                format!("period {entity}/{period}")
            }
            Change::TimeZone { place, .. } => format!("time zone of {place}"),
            Change::DataQualityRules { entity, .. } => format!(
                "data-quality rules of {}",
                entity.as_deref().unwrap_or("every entity")
            ),
            Change::ExceptionRouting {
                entity,
                warehouse,
                kind,
                ..
            } => match warehouse {
                Some(w) => format!("exception routing {entity}/{w}/{kind}"),
                None => format!("exception routing {entity}/{kind}"),
            },
            Change::ChannelPolicy(p) => format!("channel policy {}", p.key()),
        }
    }
}

/// One movement of stock in a bin, valued in the entity's base currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMove {
    pub entity: Code,
    pub warehouse: Code,
    pub bin: Code,
    pub sku: Code,
    pub lot: Option<Code>,
    /// Signed quantity in base units (+ in, - out).
    pub qty: Decimal,
    /// Signed value moved into (+) or out of (-) the item's cost pool.
    pub value: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A master record was created or replaced.
    MasterUpserted(Record),
    PostingRuleSet {
        entity: Code,
        key: PostingKey,
        account: Code,
    },
    CategoryMarginFloorSet {
        category: Code,
        pct: Option<Decimal>,
    },
    PeriodsDefined {
        periods: Vec<Period>,
    },
    FxRateSet(FxRate),
    ChangeRequested {
        id: u64,
        requested_by: Code,
        fields: Vec<String>,
        change: Change,
    },
    ChangeApproved {
        id: u64,
        approved_by: Code,
    },
    ChangeRejected {
        id: u64,
        rejected_by: Code,
        reason: String,
    },
    OpeningStockPosted {
        moves: Vec<StockMove>,
        journal: JournalEntry,
    },
    // Order to cash (new variants at the end: bincode numbers variants).
    /// A quote or order was placed, priced, and held or confirmed.
    OrderPlaced(SalesOrder),
    OrderConfirmed {
        number: Code,
    },
    HoldReleased {
        number: Code,
        hold: Hold,
        by: Code,
    },
    StockReserved {
        number: Code,
        line: u32,
        warehouse: Code,
        sku: Code,
        qty: Decimal,
    },
    Backordered {
        number: Code,
        line: u32,
        qty: Decimal,
        promise: chrono::NaiveDate,
    },
    ReservationReleased {
        number: Code,
        line: u32,
        warehouse: Code,
        sku: Code,
        qty: Decimal,
    },
    LineCancelled {
        number: Code,
        line: u32,
    },
    OrderCancelled {
        number: Code,
        by: Code,
        reason: String,
    },
    /// A quote became an order, held or confirmed.
    QuoteConfirmed {
        number: Code,
        holds: Vec<Hold>,
    },
    /// An order's reservations were released to a warehouse as a pick list.
    PickListCreated(PickList),
    /// After a short pick: the same order line from another bin.
    PickLineAdded {
        list: Code,
        line: PickLine,
    },
    /// Goods left a bin for the order (scanned and confirmed).
    Picked {
        list: Code,
        line: u32,
        order: Code,
        order_line: u32,
        warehouse: Code,
        bin: Code,
        sku: Code,
        lot: Option<Code>,
        qty: Decimal,
        by: Code,
    },
    /// The bin did not have what the line asked for.
    PickShort {
        list: Code,
        line: u32,
        order: Code,
        order_line: u32,
        warehouse: Code,
        sku: Code,
        qty: Decimal,
    },
    /// Picked goods left the building: stock and cost out, COGS posted.
    Shipped {
        shipment: Shipment,
        journal: JournalEntry,
    },
    /// Shipments invoiced: AR up, revenue, tax and freight income posted.
    Invoiced {
        invoice: super::billing::Invoice,
        journal: JournalEntry,
    },
    /// A customer receipt applied to invoices (or kept as credit).
    PaymentReceived {
        receipt: super::cash::Receipt,
        journal: JournalEntry,
    },
    /// A carton of a pick list packed and weighed (held when off weight).
    CartonPacked {
        list: Code,
        carton: super::pack::Carton,
    },
    /// A supervisor accepted a held carton's weight.
    CartonReleased {
        list: Code,
        carton: u32,
        by: Code,
    },
    /// A carton taken apart to pack again.
    CartonUnpacked {
        list: Code,
        carton: u32,
    },
    /// A return authorized against invoice lines.
    ReturnAuthorized(super::returns::Rma),
    ReturnCancelled {
        rma: Code,
        reason: String,
    },
    /// Returned goods received: (return line, qty), restocked at their
    /// original cost (Dr Inventory / Cr COGS) or scrapped.
    ReturnReceived {
        rma: Code,
        lines: Vec<(u32, Decimal)>,
        moves: Vec<StockMove>,
        journal: Option<JournalEntry>,
    },
    /// Dr Sales returns, Dr Sales tax / Cr AR (and unapplied credit).
    CreditMemoIssued {
        memo: super::returns::CreditMemo,
        journal: JournalEntry,
    },
    /// An order line's quantity or price changed; the line as it is now
    /// (stock events that follow adjust its reservation).
    LineChanged {
        number: Code,
        line: super::sales::OrderLine,
        backorder_cut: Decimal,
        by: Code,
    },
    /// Lines added to an order (stock events follow).
    LinesAdded {
        number: Code,
        lines: Vec<super::sales::OrderLine>,
        by: Code,
    },
    /// A wave released (its pick lists follow).
    WaveReleased(super::warehouse::Wave),
    PurchaseOrderCreated(super::purchasing::PurchaseOrder),
    PurchaseOrderApproved {
        number: Code,
        by: Code,
    },
    /// A PO line changed (quantity, price, expected date); above the
    /// approval limit the PO waits for an approval again.
    PurchaseOrderChanged {
        number: Code,
        line: super::purchasing::PoLine,
        total: Decimal,
        base_total: Decimal,
        needs_approval: bool,
        by: Code,
    },
    PurchaseOrderCancelled {
        number: Code,
        by: Code,
        reason: String,
    },
    /// Closed short: what did not arrive will not.
    PurchaseOrderClosed {
        number: Code,
        by: Code,
        reason: String,
    },
    /// Goods received against a PO: Dr Inventory / Cr GRNI.
    GoodsReceived {
        receipt: super::purchasing::GoodsReceipt,
        moves: Vec<StockMove>,
        journal: JournalEntry,
    },
    /// Goods moved between bins of a warehouse: from a receiving bin to
    /// storage, or damaged goods a picker found to quarantine.
    PutAway {
        moves: Vec<StockMove>,
        directed: Code,
        reason: String,
        by: Code,
    },
    /// A supplier invoice, posted when it matched (Dr GRNI, PPV / Cr AP).
    /// `reliefs`: the GRNI each line relieved (empty while held).
    SupplierInvoiceEntered {
        invoice: super::purchasing::SupplierInvoice,
        journal: Option<JournalEntry>,
        reliefs: Vec<Decimal>,
    },
    SupplierInvoiceApproved {
        number: Code,
        by: Code,
        journal: JournalEntry,
        reliefs: Vec<Decimal>,
    },
    SupplierInvoiceRejected {
        number: Code,
        by: Code,
        reason: String,
    },
    /// Dr AP / Cr Bank (and purchase discount).
    SupplierPaid {
        payment: super::purchasing::SupplierPayment,
        journal: JournalEntry,
    },
    /// A freight or duty charge spread over receipt lines: Dr Inventory
    /// (on hand), Dr COGS (sold) / Cr AP, owed as a supplier invoice.
    LandedCostAllocated {
        invoice: super::purchasing::SupplierInvoice,
        kind: Code,
        basis: super::landed::Basis,
        shares: Vec<super::landed::LandedShare>,
        journal: JournalEntry,
    },
    /// Cycle counts created (one per bin position of the items due).
    CountsScheduled {
        counts: Vec<super::counts::Count>,
    },
    /// The first count differed from the book: count again.
    RecountNeeded {
        number: Code,
        first: (Decimal, Code),
    },
    /// A confirmed variance above the approval limit waits.
    CountHeld {
        number: Code,
        second: (Decimal, Code),
        book: Decimal,
        variance: Decimal,
        value: Decimal,
        reason: super::counts::Reason,
    },
    /// A count settled: as the book, or with its adjustment posted.
    CountSettled {
        number: Code,
        first: (Decimal, Code),
        second: Option<(Decimal, Code)>,
        book: Decimal,
        accurate: bool,
        reason: Option<super::counts::Reason>,
        adjustment: Option<(StockMove, Option<JournalEntry>)>,
    },
    /// A held variance approved and posted.
    CountApproved {
        number: Code,
        by: Code,
        adjustment: (StockMove, Option<JournalEntry>),
    },
    /// Goods left a warehouse for another: Dr In transit / Cr Inventory.
    TransferShipped {
        transfer: super::transfer::Transfer,
        moves: Vec<StockMove>,
        journal: JournalEntry,
        /// Between entities: the destination's Dr In transit / Cr Due to.
        dest_journal: Option<JournalEntry>,
    },
    /// A transfer arrived: Dr Inventory / Cr In transit.
    TransferReceived {
        number: Code,
        bin: Code,
        moves: Vec<StockMove>,
        journal: JournalEntry,
    },
    /// A backordered line's promise date moved (stock came, or not).
    Repromised {
        number: Code,
        line: u32,
        promise: chrono::NaiveDate,
    },
    /// Arrived stock reserved for a backordered line (oldest promise first).
    BackorderFilled {
        number: Code,
        line: u32,
        warehouse: Code,
        sku: Code,
        qty: Decimal,
    },
    /// A draft PO sent: open, or waiting for an approval (not by `by`).
    PurchaseOrderSubmitted {
        number: Code,
        by: Code,
        base_total: Decimal,
        needs_approval: bool,
    },
    /// A lot first taken into stock, with its expiry date if it has one.
    LotRegistered {
        sku: Code,
        lot: Code,
        expiry: Option<chrono::NaiveDate>,
        received: chrono::NaiveDate,
    },
    /// Stock adjusted by hand for a reason (a count document marked
    /// manual): posted now, or held for an approval (no adjustment yet).
    StockAdjusted {
        count: super::counts::Count,
        adjustment: Option<(StockMove, Option<JournalEntry>)>,
    },
    /// Periods of an entity closed (every open one up to the one named).
    PeriodsClosed {
        entity: Code,
        periods: Vec<Code>,
        by: Code,
    },
    /// Closed periods locked: never reopened.
    PeriodsLocked {
        entity: Code,
        periods: Vec<Code>,
        by: Code,
    },
    /// Closed periods reopened after an approved request.
    PeriodsReopened {
        entity: Code,
        periods: Vec<Code>,
        by: Code,
    },
    /// A manual journal entry, or the reversal of one.
    JournalPosted {
        number: Code,
        journal: JournalEntry,
        by: Code,
        reverses: Option<Code>,
    },
    /// Open foreign-currency AR/AP revalued at a period end, and the
    /// reversal dated the next period's first day.
    FxRevalued {
        entity: Code,
        period: Code,
        items: Vec<super::ledger::RevaluedItem>,
        journal: JournalEntry,
        reversal: JournalEntry,
    },
    /// A bank statement loaded: its lines wait to be matched.
    BankStatementImported {
        entity: Code,
        account: Code,
        statement: String,
        lines: Vec<super::bank::BankLine>,
        by: Code,
    },
    /// Statement lines matched to book items (a write-off journal for a
    /// difference within tolerance).
    BankMatched {
        matches: Vec<super::bank::BankMatch>,
        auto: bool,
        by: Code,
    },
    /// A statement line the books did not have, posted and cleared.
    BankLinePosted {
        line: Code,
        journal: JournalEntry,
        by: Code,
    },
    /// One list price set (or changed) in a price list.
    ListPriceSet {
        price_list: Code,
        price: super::master::ListPrice,
    },
    /// A customer's unapplied credit paid back: Dr Unapplied cash / Cr
    /// Bank (and realised FX).
    CreditRefunded {
        refund: super::cash::Refund,
        journal: JournalEntry,
    },
    /// An operator's PIN or password set (its hash).
    PasswordSet {
        operator: Code,
        credential: super::signin::Credential,
    },
    /// An operator signed in from a station.
    SignedIn {
        operator: Code,
        station: String,
        at: DateTime<Utc>,
        /// The SSH key's fingerprint when signed in over SSH.
        ssh_key: Option<String>,
    },
    /// A sign-in with a wrong secret; `failures` in a row, and the lock
    /// it brought on when it reached the limit.
    SignInFailed {
        operator: Code,
        station: String,
        at: DateTime<Utc>,
        failures: u32,
        locked_until: Option<DateTime<Utc>>,
    },
    /// A supervisor lifted an operator's sign-in lock.
    OperatorUnlocked {
        operator: Code,
    },
    /// The store is the demo distributor.
    DemoDeclared,
    /// A printer created or replaced.
    PrinterSet(super::printing::Printer),
    /// An operator's or a station's default printer set (or cleared).
    DefaultPrinterSet {
        scope: super::printing::PrinterScope,
        printer: Option<Code>,
    },
    /// An entity's letterhead, tax registration and remittance details.
    DocumentProfileSet(super::printing::DocumentProfile),
    /// A document printed, or a print that failed: the audit of prints.
    DocumentPrinted(super::printing::PrintRecord),
    /// Why a pick line came up short (with `PickShort`, when the picker
    /// said): what the supervisor's exception queue shows.
    PickShortReason {
        list: Code,
        line: u32,
        reason: super::warehouse::ShortReason,
    },
    /// A place's time zone from a date on (its business dates).
    TimeZoneSet {
        place: super::zone::Place,
        zone: String,
        from: chrono::NaiveDate,
    },
    /// A fiscal year closed: its profit or loss moved to retained earnings
    /// by a closing entry dated the year's last day (no lines when the
    /// year had none). The one posting a closed period takes.
    YearClosed {
        entity: Code,
        year: i32,
        journal: JournalEntry,
        by: Code,
    },
    /// A reopen approval undid a year close: the closing entry reversed.
    YearReopened {
        entity: Code,
        year: i32,
        journal: JournalEntry,
        by: Code,
    },
    /// Intercompany balances settled through the banks: the payer's Dr
    /// Due to / Cr Bank, the payee's Dr Bank / Cr Due from (at `rate`).
    IntercompanySettled {
        number: Code,
        payer: Code,
        payee: Code,
        amount: Decimal,
        rate: Decimal,
        journal: JournalEntry,
        payee_journal: JournalEntry,
        by: Code,
    },
    /// A short pick seen and accepted from the exception queue (up to
    /// `short` on the line): its exception clears.
    ShortPickAcknowledged {
        list: Code,
        line: u32,
        short: Decimal,
        by: Code,
    },
    /// An exception given to another role or person.
    ExceptionReassigned {
        id: u64,
        owner: super::exceptions::Owner,
        by: Code,
    },
    ExceptionCommented {
        id: u64,
        text: String,
        by: Code,
    },
    /// Out of the queue until a business date, for a reason.
    ExceptionSnoozed {
        id: u64,
        until: chrono::NaiveDate,
        reason: String,
        by: Code,
    },
    /// An operator code tied to the person behind it (who asked for it to
    /// be created or given an approving role): segregation of duties
    /// treats both as one.
    IdentityLinked {
        operator: Code,
        person: Code,
    },
    /// A debit memo raised on an invoice: `document` is its AR document
    /// (kept with the invoices); Dr AR / Cr Revenue, Sales tax, Freight.
    DebitMemoIssued {
        memo: super::memo::DebitMemo,
        document: super::billing::Invoice,
        journal: JournalEntry,
    },
    /// A supplier given a debit balance: Dr AP / Cr Purchase price variance.
    SupplierDebitNoted {
        note: super::memo::SupplierDebitNote,
        journal: JournalEntry,
    },
    /// Money in from a supplier against its debit balance: Dr Bank / Cr AP.
    SupplierRefundReceived {
        refund: super::memo::SupplierRefund,
        journal: JournalEntry,
    },
    /// A will-call's payment kept as the customer's credit, earmarked for
    /// the order (the receipts themselves are `PaymentReceived`).
    DepositTaken(super::counter::Deposit),
    /// Part of a will-call deposit applied to the order's invoice (the
    /// credit receipt that pays it follows in the same record).
    DepositApplied {
        order: Code,
        invoice: Code,
        amount: Decimal,
    },
    /// What is left of a deposit becomes free credit: the order was
    /// cancelled or has nothing left to hand over.
    DepositReleased {
        order: Code,
        amount: Decimal,
    },
    /// The data-quality rules of an entity (None: the default) set.
    DataQualityRulesSet {
        entity: Option<Code>,
        rules: super::quality::QualityRules,
    },
    /// An invoice's dispute settled: written off (with its journal) or
    /// reinstated as open receivable.
    DisputeResolved {
        resolution: super::cash::DisputeResolution,
        journal: Option<JournalEntry>,
    },
    /// An exception routing rule set (approved by a second person).
    ExceptionRoutingSet {
        entity: Code,
        warehouse: Option<Code>,
        kind: super::exceptions::ExceptionKind,
        route: super::exceptions::Route,
    },
    /// A period's bank reconciliation marked done, with the figures it
    /// agreed on as of the period's end: the bank account's book balance,
    /// the book items the bank had not shown, the statement balance they
    /// imply.
    BankReconciled {
        entity: Code,
        period: Code,
        account: Code,
        book: Decimal,
        outstanding: Decimal,
        statement: Decimal,
        by: Code,
    },
    /// A channel policy set (a new one at once, a change once approved).
    ChannelPolicySet(super::channel::ChannelPolicy),
    /// A customer's overrides of its channel policy (empty: none).
    CustomerOverridesSet {
        customer: Code,
        overrides: super::channel::CustomerOverrides,
    },
    /// What decided an order's promising, shipping, invoicing, credit and
    /// service rules when it was placed.
    OrderPolicyRecorded {
        number: Code,
        policy: super::channel::Effective,
    },
    /// The customer has a shipment's goods.
    DeliveryConfirmed {
        shipment: Code,
        date: chrono::NaiveDate,
        by: Code,
    },
    /// Something said about an exception computed on the clock: given to
    /// somebody, commented, snoozed.
    ClockExceptionNoted {
        key: super::exceptions::ClockKey,
        action: super::exceptions::ClockAction,
        by: Code,
    },
    /// Closed orders and the documents around them moved out of the
    /// in-memory state into the archive (issue 21): the event carries the
    /// documents, so that replay is pure and the store's archive tree is
    /// written (and rewritten) from the log.
    Archived(super::archive::Archive),
    /// The settled lines of an entity's reconciled bank periods and the
    /// book items they cleared moved into the archive (issue 21), by the
    /// same `ArchiveClosed`.
    BankArchived(super::bank::BankArchive),
    /// A held count variance rejected: nothing posted. A scheduled count
    /// is open to be counted again; a manual adjustment is withdrawn.
    CountRejected {
        number: Code,
        by: Code,
        reason: String,
    },
    /// A bank statement taken back: its lines (none of them cleared) are
    /// gone from the reconciliation, and its number is free again.
    BankStatementVoided {
        entity: Code,
        statement: String,
        lines: Vec<Code>,
        reason: String,
        by: Code,
    },
}

/// What a command came to: committed events, or a rejection (persisted only
/// when the command carried an idempotency key, so a repeat gets it again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Committed(Vec<Event>),
    Rejected(Rejection),
}

/// One record of the event log: a command's outcome and its context. The
/// log is the audit trail: who, from which session, when, what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub operator: Code,
    pub session: String,
    pub key: Option<String>,
    /// Digest of a keyed command's body (see `CommandBody::digest`).
    pub digest: KeyDigest,
    pub command: String,
    pub outcome: Outcome,
}

/// What a keyed command is compared by when its key comes again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyDigest {
    /// The command carried no key.
    None,
    /// CRC32 of the body's JSON: records written before format 5 (a
    /// collision can be found in seconds, so only old records carry it).
    Crc32(u32),
    /// SHA-256 of the body's JSON, lowercase hex.
    Sha256(String),
}

/// The log record as formats up to 4 wrote it (frame version 1): the same
/// fields, with a CRC32 digest (0 when the command carried no key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeV1 {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub operator: Code,
    pub session: String,
    pub key: Option<String>,
    pub digest: u32,
    pub command: String,
    pub outcome: Outcome,
}

impl From<EnvelopeV1> for Envelope {
    fn from(v: EnvelopeV1) -> Envelope {
        Envelope {
            digest: match v.key {
                Some(_) => KeyDigest::Crc32(v.digest),
                None => KeyDigest::None,
            },
            seq: v.seq,
            time: v.time,
            operator: v.operator,
            session: v.session,
            key: v.key,
            command: v.command,
            outcome: v.outcome,
        }
    }
}

impl Envelope {
    pub fn events(&self) -> &[Event] {
        match &self.outcome {
            Outcome::Committed(e) => e,
            Outcome::Rejected(_) => &[],
        }
    }
}
