//! Commands: who (operator, session), when (the engine's clock), an optional
//! idempotency key, and what (`CommandBody`). Commands are never persisted;
//! the events they produce are. So `CommandBody` can use an internally
//! tagged JSON form: `{"cmd": "create_item", "sku": "A-100", ...}`.

use super::auth::Permission;
use super::event::KeyDigest;
use super::master::*;
use super::types::{Code, Currency};
use crate::core::types::ToCode;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The longest idempotency key we accept.
pub const KEY_LEN_MAX: usize = 128;

/// A command with its context. `time` is the engine's clock, stamped when
/// the command is taken off the queue; the core never reads a clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Command {
    pub operator: Code,
    pub session: String,
    pub time: DateTime<Utc>,
    pub key: Option<String>,
    pub body: CommandBody,
}

impl Command {
    /// The UTC day of the command's timestamp. Business dates are local:
    /// `entity_date` and `warehouse_date` (core::zone) give them.
    pub fn date(&self) -> NaiveDate {
        self.time.date_naive()
    }
}

/// Everything depot can be asked to do. One doc line per variant; the
/// JSON form is documented in `docs/commands.md`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
pub enum CommandBody {
    /// Create a legal entity.
    CreateEntity(Entity),
    /// Replace a legal entity's record.
    UpdateEntity(Entity),
    /// Add an account to an entity's chart of accounts.
    CreateAccount(Account),
    /// Rename or reclassify an account.
    UpdateAccount(Account),
    /// Create a warehouse.
    CreateWarehouse(Warehouse),
    /// Replace a warehouse's record.
    UpdateWarehouse(Warehouse),
    /// Create a bin in a warehouse.
    CreateBin(Bin),
    /// Replace a bin's record.
    UpdateBin(Bin),
    /// Create an item.
    CreateItem(Item),
    /// Replace an item's record (margin floor changes need approval).
    UpdateItem(Item),
    /// Create a customer.
    CreateCustomer(Customer),
    /// Replace a customer's record (credit limit and price list changes need approval).
    UpdateCustomer(Customer),
    /// Create a supplier.
    CreateSupplier(Supplier),
    /// Replace a supplier's record.
    UpdateSupplier(Supplier),
    /// Create a price list.
    CreatePriceList(PriceList),
    /// Replace a price list (name, currency, prices).
    UpdatePriceList(PriceList),
    /// Set one item's list price and quantity breaks on a price list.
    SetListPrice {
        price_list: Code,
        #[serde(flatten)]
        price: ListPrice,
    },
    /// Create a customer contract price.
    CreateContractPrice(ContractPrice),
    /// Replace a contract price.
    UpdateContractPrice(ContractPrice),
    /// Create a tax code.
    CreateTaxCode(TaxCode),
    /// Replace a tax code.
    UpdateTaxCode(TaxCode),
    /// Create a carrier with its services.
    CreateCarrier(Carrier),
    /// Replace a carrier.
    UpdateCarrier(Carrier),
    /// Create payment terms.
    CreatePaymentTerms(PaymentTerms),
    /// Replace payment terms.
    UpdatePaymentTerms(PaymentTerms),
    /// Create an operator.
    CreateOperator(Operator),
    /// Replace an operator's record.
    UpdateOperator(Operator),
    /// Map a posting key to an account (a change of an existing rule needs approval).
    SetPostingRule {
        entity: Code,
        /// `posting_key` in JSON: a line's `key` is its idempotency key in
        /// `depot exec`, so it cannot name the posting key there.
        #[serde(rename = "posting_key", alias = "key")]
        key: PostingKey,
        account: Code,
    },
    /// Set or clear the margin floor of an item category (a change needs approval).
    SetCategoryMarginFloor {
        category: Code,
        pct: Option<Decimal>,
    },
    /// Create the twelve monthly periods of a fiscal year, open.
    DefineFiscalYear { entity: Code, year: i32 },
    /// Record an FX rate for a currency pair and date.
    SetFxRate(FxRate),
    /// Approve a pending change request raised by somebody else.
    ApproveChange { id: u64 },
    /// Reject a pending change request.
    RejectChange { id: u64, reason: String },
    /// Put opening stock into a bin at a unit cost (Dr Inventory / Cr Opening balance).
    PostOpeningStock {
        warehouse: Code,
        bin: Code,
        sku: Code,
        qty: Decimal,
        #[serde(default)]
        unit: Option<Code>,
        /// Cost per base unit in the entity's base currency.
        unit_cost: Decimal,
        #[serde(default)]
        lot: Option<Code>,
        #[serde(default)]
        date: Option<NaiveDate>,
        /// The lot's expiry date, if it has one.
        #[serde(default)]
        expiry: Option<NaiveDate>,
    },
    /// Place a sales order (or, with `quote`, a quote): lines are priced,
    /// credit and margin checked, stock reserved or backordered.
    PlaceOrder {
        #[serde(default)]
        quote: bool,
        customer: Code,
        #[serde(default)]
        ship_to: Option<Code>,
        #[serde(default)]
        customer_po: String,
        #[serde(default)]
        requested: Option<NaiveDate>,
        lines: Vec<crate::core::sales::LineInput>,
    },
    /// Turn a quote into an order at its quoted prices.
    ConfirmQuote { number: Code },
    /// Release a credit hold or a price approval (not on your own order).
    ReleaseHold {
        number: Code,
        hold: crate::core::sales::Hold,
    },
    /// Reject a hold: the order is cancelled.
    RejectHold {
        number: Code,
        hold: crate::core::sales::Hold,
        reason: String,
    },
    /// Cancel a whole order, releasing its reservations.
    CancelOrder { number: Code, reason: String },
    /// Cancel one line of an order.
    CancelLine {
        number: Code,
        line: u32,
        reason: String,
    },
    /// Release a confirmed order's reservations to the warehouse: one pick
    /// list per warehouse, lines in bin pick sequence.
    ReleaseOrder { number: Code },
    /// Release, as one wave, every confirmed order of a warehouse that
    /// ships with a carrier (and service), oldest requested date first.
    ReleaseWave {
        warehouse: Code,
        carrier: Code,
        #[serde(default)]
        service: Option<Code>,
    },
    /// Confirm a pick line: the bin scanned, the item scanned (SKU,
    /// barcode, GTIN, GS1-128), the quantity in the scanned unit (default 1,
    /// or the GS1 count); `short` when the bin has no more (with `qty` 0:
    /// the bin was empty, nothing picked).
    ConfirmPick {
        list: Code,
        line: u32,
        bin: String,
        item: String,
        #[serde(default)]
        qty: Option<Decimal>,
        #[serde(default)]
        short: bool,
        /// Why it is short (left out of the command's JSON when absent,
        /// so keys of older clients keep their digest).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<crate::core::warehouse::ShortReason>,
    },
    /// Ship everything picked on a pick list.
    ShipPick {
        list: Code,
        carrier: Code,
        service: Code,
        #[serde(default)]
        tracking: String,
        /// The carrier's charge (billed to the customer when their freight
        /// terms are prepaid-and-add).
        #[serde(default)]
        freight: Decimal,
    },
    /// Invoice one or several shipments of one customer.
    InvoiceShipments { shipments: Vec<Code> },
    /// A customer receipt applied to invoices; the rest stays as credit.
    /// With `method: credit`, apply the customer's unapplied credit.
    ReceivePayment {
        customer: Code,
        method: crate::core::cash::Method,
        #[serde(default)]
        amount: Decimal,
        #[serde(default)]
        reference: String,
        #[serde(default)]
        apply: Vec<crate::core::cash::ApplyTo>,
    },
    /// Pack one carton of a pick list: the items scanned in and the scale
    /// weight (kg, less `tare`); off by more than the tolerance, the carton
    /// is held for a supervisor.
    PackCarton {
        list: Code,
        contents: Vec<crate::core::pack::CartonInput>,
        weight: Decimal,
        #[serde(default)]
        tare: Decimal,
    },
    /// Accept a held carton's weight (a supervisor who did not pack it).
    ReleaseCarton { list: Code, carton: u32 },
    /// Take a carton apart to pack again.
    UnpackCarton { list: Code, carton: u32 },
    /// Authorize a return (RMA) of invoice lines (1-based), each to be
    /// restocked or scrapped.
    AuthorizeReturn {
        invoice: Code,
        reason: String,
        lines: Vec<crate::core::returns::ReturnInput>,
    },
    /// Receive returned goods (all expected, or `lines`) into `bin` and
    /// issue the credit memo.
    ReceiveReturn {
        rma: Code,
        #[serde(default)]
        bin: Option<Code>,
        #[serde(default)]
        lines: Vec<crate::core::returns::ReceiveInput>,
    },
    /// Cancel a return nothing of which has arrived.
    CancelReturn { rma: Code, reason: String },
    /// Change an order line's quantity (in its ordered unit) or price.
    ChangeOrderLine {
        number: Code,
        line: u32,
        #[serde(default)]
        qty: Option<Decimal>,
        #[serde(default)]
        price: Option<Decimal>,
    },
    /// Add lines to a quote or order, priced by the price engine.
    AddOrderLines {
        number: Code,
        lines: Vec<crate::core::sales::LineInput>,
    },
    /// Create a purchase order (approval needed above the entity's limit).
    CreatePurchaseOrder {
        supplier: Code,
        warehouse: Code,
        lines: Vec<crate::core::purchasing::PoLineInput>,
    },
    /// Change a PO line: quantity (ordered unit), price (per that unit),
    /// expected date.
    ChangePurchaseOrderLine {
        number: Code,
        line: u32,
        #[serde(default)]
        qty: Option<Decimal>,
        #[serde(default)]
        price: Option<Decimal>,
        #[serde(default)]
        expected: Option<NaiveDate>,
    },
    /// Approve a purchase order (not the buyer).
    ApprovePurchaseOrder { number: Code },
    /// Cancel a purchase order nothing of which arrived.
    CancelPurchaseOrder { number: Code, reason: String },
    /// Close a purchase order short: the rest will not come.
    ClosePurchaseOrder { number: Code, reason: String },
    /// Receive goods against a PO into a receiving bin (items scanned).
    ReceivePurchase {
        po: Code,
        bin: Code,
        lines: Vec<crate::core::purchasing::ReceiveInput>,
    },
    /// Move goods from a receiving bin to storage, confirmed by bin scan.
    PutAway {
        warehouse: Code,
        from: Code,
        sku: Code,
        #[serde(default)]
        lot: Option<Code>,
        qty: Decimal,
        /// The bin scanned.
        to: String,
        /// Why not the directed bin, when it is not.
        #[serde(default)]
        reason: String,
    },
    /// Enter a supplier invoice against PO lines (three-way matched).
    EnterSupplierInvoice {
        supplier: Code,
        reference: String,
        lines: Vec<crate::core::purchasing::InvoiceLineInput>,
    },
    /// Approve a held supplier invoice's price differences.
    ApproveSupplierInvoice { number: Code },
    /// Reject a held supplier invoice.
    RejectSupplierInvoice { number: Code, reason: String },
    /// A freight or duty charge billed by `supplier`, spread over goods
    /// receipts by value or weight (on hand: into cost; sold: COGS).
    AllocateLandedCost {
        supplier: Code,
        reference: String,
        kind: Code,
        amount: Decimal,
        basis: crate::core::landed::Basis,
        receipts: Vec<Code>,
    },
    /// Create the cycle counts due in a warehouse (A monthly, B quarterly,
    /// C yearly), at most `limit` (default 50).
    ScheduleCounts {
        warehouse: Code,
        #[serde(default = "fifty")]
        limit: usize,
        /// Count these items now, due or not (e.g. after a short pick).
        #[serde(default)]
        skus: Vec<Code>,
    },
    /// Enter a blind count; a variance is counted again by someone else,
    /// and the recount needs a reason to adjust.
    EnterCount {
        count: Code,
        qty: Decimal,
        #[serde(default)]
        reason: Option<crate::core::counts::Reason>,
    },
    /// Approve a count variance above the approval limit.
    ApproveCount { count: Code },
    /// Ship goods from bins of one warehouse to another of the entity.
    ShipTransfer {
        from: Code,
        to: Code,
        lines: Vec<crate::core::transfer::TransferInput>,
    },
    /// Receive a transfer in full into a bin of its destination.
    ReceiveTransfer { number: Code, bin: Code },
    /// Pay supplier invoices.
    PaySupplier {
        supplier: Code,
        #[serde(default)]
        reference: String,
        apply: Vec<crate::core::purchasing::ApApplyTo>,
    },
    /// Create an item's replenishment policy in a warehouse.
    CreateReplenishmentPolicy(ReplenishmentPolicy),
    /// Replace a replenishment policy.
    UpdateReplenishmentPolicy(ReplenishmentPolicy),
    /// Accept replenishment suggestions of one supplier for one warehouse:
    /// a draft purchase order with a line per item (the suggested quantity
    /// unless the buyer gives another).
    AcceptReplenishment {
        supplier: Code,
        warehouse: Code,
        lines: Vec<crate::core::replenish::AcceptLine>,
    },
    /// Send a draft purchase order: open, or waiting for an approval above
    /// the entity's limit.
    SubmitPurchaseOrder { number: Code },
    /// Adjust a bin's stock by a signed quantity (base units) for a reason.
    AdjustStock {
        warehouse: Code,
        bin: Code,
        sku: Code,
        #[serde(default)]
        lot: Option<Code>,
        qty: Decimal,
        reason: crate::core::counts::Reason,
    },
    /// A counter sale: order, pick, hand-over, invoice and (optionally)
    /// payment in one commit, from stock on the shelf of `warehouse`.
    /// `payment` is one tender; `payments` several (split tender), paid
    /// in order; a tender without an amount pays the rest.
    CounterSale {
        customer: Code,
        warehouse: Code,
        lines: Vec<crate::core::counter::CounterLine>,
        #[serde(default)]
        payment: Option<crate::core::counter::CounterPayment>,
        #[serde(default)]
        payments: Vec<crate::core::counter::CounterPayment>,
    },
    /// Close every open period of an entity up to and including `period`;
    /// refused while the close checklist has a blocking item open.
    ClosePeriod { entity: Code, period: Code },
    /// Lock closed periods up to and including `period`: never reopened.
    LockPeriod { entity: Code, period: Code },
    /// Ask to reopen a closed period (and the closed ones after it);
    /// somebody else approves with `approve_change`.
    ReopenPeriod {
        entity: Code,
        period: Code,
        reason: String,
    },
    /// A manual journal entry to accounts that are not control accounts,
    /// dated the command's day unless given.
    PostJournalEntry {
        entity: Code,
        #[serde(default)]
        date: Option<NaiveDate>,
        memo: String,
        lines: Vec<crate::core::ledger::ManualLine>,
    },
    /// Reverse a manual journal entry into an open period.
    ReverseJournalEntry {
        number: Code,
        #[serde(default)]
        date: Option<NaiveDate>,
    },
    /// Revalue the entity's open foreign-currency AR and AP at the period
    /// end rate; the reversal is dated the next period's first day.
    RevalueFx { entity: Code, period: Code },
    /// Load a bank statement of the entity's bank account: its lines wait
    /// to be matched to receipts, payments and other bank postings.
    ImportBankStatement {
        entity: Code,
        /// The bank's statement number; a statement is imported once.
        statement: String,
        lines: Vec<crate::core::bank::StatementLine>,
    },
    /// Match what can be matched without doubt: same amount (or within
    /// `tolerance`, the difference written off to bank charges), dated
    /// within `window_days`, the reference deciding between candidates.
    /// Ambiguous lines are left for `match_bank_line`.
    AutoMatchBank {
        entity: Code,
        #[serde(default)]
        window_days: Option<u32>,
        #[serde(default)]
        tolerance: Option<rust_decimal::Decimal>,
    },
    /// Match a statement line to one or more uncleared book items; a
    /// difference within `tolerance` is written off to bank charges.
    MatchBankLine {
        line: Code,
        items: Vec<Code>,
        #[serde(default)]
        tolerance: Option<rust_decimal::Decimal>,
    },
    /// Post a statement line the books do not have (bank fees, interest)
    /// against an account, clearing it.
    PostBankLine {
        line: Code,
        account: Code,
        memo: String,
    },
    /// A credit memo that is not from a return (price adjustment,
    /// allowance, rebate) on lines of an invoice.
    IssueCreditMemo {
        invoice: Code,
        reason: String,
        lines: Vec<crate::core::returns::AllowanceInput>,
    },
    /// Pay back part or all of a customer's unapplied credit.
    RefundCredit {
        customer: Code,
        amount: Decimal,
        #[serde(default)]
        reference: String,
    },
    /// Set operator `code`'s PIN or password, given as an argon2 PHC hash made
    /// at the edge (the secret itself never reaches the log). Anyone may
    /// set their own; `manage_operators` sets somebody else's, who must
    /// then choose a new one at sign-in.
    SetPassword { code: Code, hash: String },
    /// The command's operator signs in: `verified` says whether the edge
    /// found the typed secret to match the stored hash. Failures count
    /// towards a lockout; both are in the audit trail.
    SignIn {
        verified: bool,
        #[serde(default)]
        station: String,
        /// Signed in over SSH with this public key (its SHA-256
        /// fingerprint): the key is the identity, no PIN is asked.
        #[serde(default)]
        ssh_key: Option<String>,
    },
    /// Lift a sign-in lockout and forget the failures.
    UnlockOperator { code: Code },
    /// Mark a new store as the demo distributor (`depot demo`): there
    /// `--operator` may skip the sign-in.
    DeclareDemo,
    /// Create or replace a printer (`kind`: lp, raw or folder; `target`:
    /// the queue, `host:port` or folder).
    SetPrinter(crate::core::printing::Printer),
    /// Set (or, with no `printer`, clear) the default printer of an
    /// operator (`{"operator":"CLERK1"}`) or of a warehouse station
    /// (`{"station":{"warehouse":"CHI","station":"PACK1"}}`).
    SetDefaultPrinter {
        scope: crate::core::printing::PrinterScope,
        #[serde(default)]
        printer: Option<Code>,
    },
    /// Set an entity's document profile: letterhead address, phone,
    /// email, tax registration, remittance lines, GS1 company prefix.
    SetDocumentProfile(crate::core::printing::DocumentProfile),
    /// Record a print of a document, printed or failed (what `depot
    /// print` and the screens do after every print).
    RecordPrint(crate::core::printing::PrintRecord),
    /// Set the IANA time zone of an entity (finance dates) or a warehouse
    /// (stock and shipping dates). A place with nothing dated yet takes it
    /// at once; otherwise it is a change request effective `from` a future
    /// date (tomorrow unless given), approved by somebody else.
    SetTimeZone {
        #[serde(default)]
        entity: Option<Code>,
        #[serde(default)]
        warehouse: Option<Code>,
        zone: String,
        #[serde(default)]
        from: Option<NaiveDate>,
    },
    /// Close an entity's fiscal year (every period closed): its profit or
    /// loss moves to retained earnings. Undone only by a reopen approval.
    CloseYear { entity: Code, year: i32 },
    /// Settle intercompany balances through the banks: `payer` pays
    /// `amount` (its base currency) of what it owes `payee`.
    SettleIntercompany {
        payer: Code,
        payee: Code,
        amount: Decimal,
        #[serde(default)]
        reference: String,
    },
    /// Approve an exception of the queue: its document's own approval
    /// (release the hold, approve the change, ...), never by whoever
    /// raised it.
    ApproveException { id: u64 },
    /// Reject an exception with a reason (cancel the held order, reject
    /// the change or the invoice, ...).
    RejectException { id: u64, reason: String },
    /// Give an exception to a role or an operator.
    ReassignException {
        id: u64,
        to: crate::core::exceptions::Owner,
    },
    /// Comment on an exception.
    CommentException { id: u64, text: String },
    /// Put an exception out of the queue until a business date.
    SnoozeException {
        id: u64,
        until: NaiveDate,
        reason: String,
    },
    /// Escalate the exceptions older than their kind's service level to
    /// the next role (as of the command's time).
    EscalateExceptions,
    /// A debit memo on an invoice (not a shipment): amounts added to its
    /// lines (a price adjusted up) and freight billed late.
    IssueDebitMemo {
        invoice: Code,
        reason: String,
        #[serde(default)]
        lines: Vec<crate::core::returns::AllowanceInput>,
        #[serde(default)]
        freight: Decimal,
    },
    /// Give a supplier a debit balance (a rebate, an overcharge): what it
    /// owes us back.
    IssueSupplierDebitNote {
        supplier: Code,
        #[serde(default)]
        invoice: Option<Code>,
        amount: Decimal,
        reason: String,
        #[serde(default)]
        reference: String,
    },
    /// Money in from a supplier against its debit balance.
    ReceiveSupplierRefund {
        supplier: Code,
        amount: Decimal,
        #[serde(default)]
        reference: String,
    },
    /// A will-call at the counter: the order is placed (carrier WILLCALL)
    /// and reserved in full from the shelf of `warehouse`, released to a
    /// pick list for the warehouse to pick later, and the tenders are
    /// kept as a deposit for it (a tender without an amount pays the
    /// whole order, tax included), applied to its invoice at pickup.
    WillCallSale {
        customer: Code,
        warehouse: Code,
        lines: Vec<crate::core::counter::CounterLine>,
        #[serde(default)]
        payments: Vec<crate::core::counter::CounterPayment>,
    },
    /// Set the data-quality rules and thresholds of an entity (without
    /// one: the default for shared records and entities without rules).
    /// The first set takes effect at once; a change of it is a governed
    /// change approved by somebody else.
    SetDataQualityRules {
        #[serde(default)]
        entity: Option<Code>,
        rules: crate::core::quality::QualityRules,
    },
    /// Settle an invoice's dispute (a short payment): write it off (all,
    /// or `amount` of it with the rest reinstated) within the operator's
    /// authority, or reinstate it as open receivable.
    ResolveDispute {
        invoice: Code,
        action: crate::core::cash::DisputeAction,
        #[serde(default)]
        amount: Option<Decimal>,
        reason: String,
    },
    /// Route an exception kind in an entity (or one of its warehouses):
    /// the role that owns a new one, its service level in days and, for
    /// the kinds computed on the clock, the days before it counts
    /// (unchanged when not given). A governed change: a second person
    /// approves it.
    SetExceptionRouting {
        entity: Code,
        #[serde(default)]
        warehouse: Option<Code>,
        kind: crate::core::exceptions::ExceptionKind,
        owner: crate::core::auth::Role,
        sla_days: u32,
        #[serde(default)]
        after_days: Option<u32>,
    },
    /// Mark an entity's bank reconciliation of a period done: refused
    /// while a statement line dated by the period's end is unexplained.
    MarkBankReconciled { entity: Code, period: Code },
    /// Create the policy set of a channel in an entity (applies at once).
    CreateChannelPolicy(crate::core::channel::ChannelPolicy),
    /// Change a channel policy: a governed change somebody else approves.
    UpdateChannelPolicy(crate::core::channel::ChannelPolicy),
    /// Set a customer's overrides of its channel policy, within the
    /// policy's limits (all fields empty: back to the policy).
    SetCustomerOverrides {
        customer: Code,
        overrides: crate::core::channel::CustomerOverrides,
    },
    /// The customer has a shipment's goods (default date: today).
    ConfirmDelivery {
        shipment: Code,
        #[serde(default)]
        date: Option<NaiveDate>,
    },
    /// The invoicing run: invoice every uninvoiced shipment due on
    /// `as_of` under its order's invoicing pattern (of one customer, or
    /// of all).
    InvoiceDue {
        as_of: NaiveDate,
        #[serde(default)]
        customer: Option<Code>,
    },
    /// Give an exception computed on the clock (a backorder past its
    /// promise, a late shipment, old unapplied credit) to a role or an
    /// operator, while it is one.
    ReassignClockException {
        /// `exception` in JSON (also read as `key` outside `depot exec`,
        /// where a line's `key` is its idempotency key).
        #[serde(rename = "exception", alias = "key")]
        key: crate::core::exceptions::ClockKey,
        to: crate::core::exceptions::Owner,
    },
    /// Comment on an exception computed on the clock.
    CommentClockException {
        /// `exception` in JSON (also read as `key` outside `depot exec`,
        /// where a line's `key` is its idempotency key).
        #[serde(rename = "exception", alias = "key")]
        key: crate::core::exceptions::ClockKey,
        text: String,
    },
    /// Put an exception computed on the clock out of the queue until a
    /// business date, for a reason.
    SnoozeClockException {
        /// `exception` in JSON (also read as `key` outside `depot exec`,
        /// where a line's `key` is its idempotency key).
        #[serde(rename = "exception", alias = "key")]
        key: crate::core::exceptions::ClockKey,
        until: NaiveDate,
        reason: String,
    },
    /// Move closed sales orders (every line shipped or cancelled, every
    /// invoice paid in full, nothing open pointing at them, all of it
    /// dated before `before`) and their pick lists, shipments, invoices and
    /// receipts out of memory into the archive; at most `max` orders
    /// (default 1,000). With `orders`, only those (picked on a view of the
    /// state off the writer, as `depot serve`'s archiver does): each is
    /// checked again and those no longer closed are left.
    ArchiveClosed {
        before: NaiveDate,
        #[serde(default)]
        max: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        orders: Option<Vec<Code>>,
    },
    /// Reject a count variance held for an approval: nothing is posted. A
    /// scheduled count goes back to be counted again (blind, from the
    /// start); a manual adjustment is withdrawn.
    RejectCount { count: Code, reason: String },
    /// Take back a bank statement imported by mistake (another account's
    /// file, a wrong export): every line of it leaves the reconciliation,
    /// and its number may be imported again. Refused when any of its
    /// lines is matched or posted, or archived with a reconciled period.
    VoidBankStatement {
        entity: Code,
        statement: String,
        reason: String,
    },
}

impl CommandBody {
    /// Confirm a pick line in full, from its own bin (demos, benches and
    /// generated history pick what the list asks).
    pub fn pick_in_full(list: &str, l: &crate::core::warehouse::PickLine) -> CommandBody {
        CommandBody::ConfirmPick {
            list: list.to_code(),
            line: l.line,
            bin: l.bin.to_string(),
            item: l.sku.to_string(),
            qty: Some(l.qty),
            short: false,
            reason: None,
        }
    }

    /// The permission an operator needs to issue this command.
    pub fn permission(&self) -> Permission {
        // Fail closed: a name missing from the table needs an admin.
        permission_of(self.name()).unwrap_or(Permission::ManageOperators)
    }

    /// The snake_case name of the command, as in the JSON `cmd` field
    /// (the scenario tests hold every name against its JSON form).
    pub fn name(&self) -> &'static str {
        use CommandBody::*;
        match self {
            CreateEntity { .. } => "create_entity",
            UpdateEntity { .. } => "update_entity",
            CreateAccount { .. } => "create_account",
            UpdateAccount { .. } => "update_account",
            CreateWarehouse { .. } => "create_warehouse",
            UpdateWarehouse { .. } => "update_warehouse",
            CreateBin { .. } => "create_bin",
            UpdateBin { .. } => "update_bin",
            CreateItem { .. } => "create_item",
            UpdateItem { .. } => "update_item",
            CreateCustomer { .. } => "create_customer",
            UpdateCustomer { .. } => "update_customer",
            CreateSupplier { .. } => "create_supplier",
            UpdateSupplier { .. } => "update_supplier",
            CreatePriceList { .. } => "create_price_list",
            UpdatePriceList { .. } => "update_price_list",
            SetListPrice { .. } => "set_list_price",
            CreateContractPrice { .. } => "create_contract_price",
            UpdateContractPrice { .. } => "update_contract_price",
            CreateTaxCode { .. } => "create_tax_code",
            UpdateTaxCode { .. } => "update_tax_code",
            CreateCarrier { .. } => "create_carrier",
            UpdateCarrier { .. } => "update_carrier",
            CreatePaymentTerms { .. } => "create_payment_terms",
            UpdatePaymentTerms { .. } => "update_payment_terms",
            CreateOperator { .. } => "create_operator",
            UpdateOperator { .. } => "update_operator",
            SetPostingRule { .. } => "set_posting_rule",
            SetCategoryMarginFloor { .. } => "set_category_margin_floor",
            DefineFiscalYear { .. } => "define_fiscal_year",
            SetFxRate { .. } => "set_fx_rate",
            ApproveChange { .. } => "approve_change",
            RejectChange { .. } => "reject_change",
            PostOpeningStock { .. } => "post_opening_stock",
            PlaceOrder { .. } => "place_order",
            ConfirmQuote { .. } => "confirm_quote",
            ReleaseHold { .. } => "release_hold",
            RejectHold { .. } => "reject_hold",
            CancelOrder { .. } => "cancel_order",
            CancelLine { .. } => "cancel_line",
            ReleaseOrder { .. } => "release_order",
            ReleaseWave { .. } => "release_wave",
            ConfirmPick { .. } => "confirm_pick",
            ShipPick { .. } => "ship_pick",
            InvoiceShipments { .. } => "invoice_shipments",
            ReceivePayment { .. } => "receive_payment",
            PackCarton { .. } => "pack_carton",
            ReleaseCarton { .. } => "release_carton",
            UnpackCarton { .. } => "unpack_carton",
            AuthorizeReturn { .. } => "authorize_return",
            ReceiveReturn { .. } => "receive_return",
            CancelReturn { .. } => "cancel_return",
            ChangeOrderLine { .. } => "change_order_line",
            AddOrderLines { .. } => "add_order_lines",
            CounterSale { .. } => "counter_sale",
            CreatePurchaseOrder { .. } => "create_purchase_order",
            ApprovePurchaseOrder { .. } => "approve_purchase_order",
            ChangePurchaseOrderLine { .. } => "change_purchase_order_line",
            CancelPurchaseOrder { .. } => "cancel_purchase_order",
            ClosePurchaseOrder { .. } => "close_purchase_order",
            ReceivePurchase { .. } => "receive_purchase",
            PutAway { .. } => "put_away",
            EnterSupplierInvoice { .. } => "enter_supplier_invoice",
            ApproveSupplierInvoice { .. } => "approve_supplier_invoice",
            RejectSupplierInvoice { .. } => "reject_supplier_invoice",
            PaySupplier { .. } => "pay_supplier",
            AllocateLandedCost { .. } => "allocate_landed_cost",
            ScheduleCounts { .. } => "schedule_counts",
            ShipTransfer { .. } => "ship_transfer",
            ReceiveTransfer { .. } => "receive_transfer",
            EnterCount { .. } => "enter_count",
            ApproveCount { .. } => "approve_count",
            CreateReplenishmentPolicy(_) => "create_replenishment_policy",
            UpdateReplenishmentPolicy(_) => "update_replenishment_policy",
            AcceptReplenishment { .. } => "accept_replenishment",
            SubmitPurchaseOrder { .. } => "submit_purchase_order",
            AdjustStock { .. } => "adjust_stock",
            ClosePeriod { .. } => "close_period",
            LockPeriod { .. } => "lock_period",
            ReopenPeriod { .. } => "reopen_period",
            PostJournalEntry { .. } => "post_journal_entry",
            ReverseJournalEntry { .. } => "reverse_journal_entry",
            RevalueFx { .. } => "revalue_fx",
            ImportBankStatement { .. } => "import_bank_statement",
            AutoMatchBank { .. } => "auto_match_bank",
            MatchBankLine { .. } => "match_bank_line",
            PostBankLine { .. } => "post_bank_line",
            RefundCredit { .. } => "refund_credit",
            IssueCreditMemo { .. } => "issue_credit_memo",
            SetPassword { .. } => "set_password",
            SignIn { .. } => "sign_in",
            UnlockOperator { .. } => "unlock_operator",
            DeclareDemo => "declare_demo",
            SetPrinter(_) => "set_printer",
            SetDefaultPrinter { .. } => "set_default_printer",
            SetDocumentProfile(_) => "set_document_profile",
            RecordPrint(_) => "record_print",
            SetTimeZone { .. } => "set_time_zone",
            CloseYear { .. } => "close_year",
            SettleIntercompany { .. } => "settle_intercompany",
            ApproveException { .. } => "approve_exception",
            RejectException { .. } => "reject_exception",
            ReassignException { .. } => "reassign_exception",
            CommentException { .. } => "comment_exception",
            SnoozeException { .. } => "snooze_exception",
            EscalateExceptions => "escalate_exceptions",
            IssueDebitMemo { .. } => "issue_debit_memo",
            IssueSupplierDebitNote { .. } => "issue_supplier_debit_note",
            ReceiveSupplierRefund { .. } => "receive_supplier_refund",
            WillCallSale { .. } => "will_call_sale",
            SetDataQualityRules { .. } => "set_data_quality_rules",
            ResolveDispute { .. } => "resolve_dispute",
            SetExceptionRouting { .. } => "set_exception_routing",
            MarkBankReconciled { .. } => "mark_bank_reconciled",
            CreateChannelPolicy(_) => "create_channel_policy",
            UpdateChannelPolicy(_) => "update_channel_policy",
            SetCustomerOverrides { .. } => "set_customer_overrides",
            ConfirmDelivery { .. } => "confirm_delivery",
            InvoiceDue { .. } => "invoice_due",
            ReassignClockException { .. } => "reassign_clock_exception",
            CommentClockException { .. } => "comment_clock_exception",
            SnoozeClockException { .. } => "snooze_clock_exception",
            ArchiveClosed { .. } => "archive_closed",
            RejectCount { .. } => "reject_count",
            VoidBankStatement { .. } => "void_bank_statement",
        }
    }

    /// A digest of the command body (SHA-256 of its JSON), so that a
    /// reused idempotency key with a different command is caught: two
    /// bodies that differ in any byte never compare equal in practice.
    pub fn digest(&self) -> KeyDigest {
        use sha2::Digest;
        use std::fmt::Write;
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        let hash = sha2::Sha256::digest(&bytes);
        let mut hex = String::with_capacity(64);
        for b in hash {
            let _ = write!(hex, "{b:02x}");
        }
        KeyDigest::Sha256(hex)
    }

    /// The CRC32 digest records before format 5 carry.
    pub fn crc32(&self) -> u32 {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        crc32fast::hash(&bytes)
    }

    /// Is this body the one a key was first used with?
    pub fn matches(&self, digest: &KeyDigest) -> bool {
        match digest {
            KeyDigest::None => false,
            // Keys used before SHA-256 digests: as compared then. Refusing
            // them would make a client that retries across the upgrade
            // send the command again under a new key (done twice).
            KeyDigest::Crc32(c) => self.crc32() == *c,
            KeyDigest::Sha256(_) => self.digest() == *digest,
        }
    }

    /// Split a create/update command into its record and whether it creates.
    pub fn as_master(&self) -> Option<(Record, bool)> {
        use CommandBody::*;
        // Only the record is copied: every command comes through here.
        Some(match self {
            CreateEntity(r) => (Record::Entity(r.clone()), true),
            UpdateEntity(r) => (Record::Entity(r.clone()), false),
            CreateAccount(r) => (Record::Account(r.clone()), true),
            UpdateAccount(r) => (Record::Account(r.clone()), false),
            CreateWarehouse(r) => (Record::Warehouse(r.clone()), true),
            UpdateWarehouse(r) => (Record::Warehouse(r.clone()), false),
            CreateBin(r) => (Record::Bin(r.clone()), true),
            UpdateBin(r) => (Record::Bin(r.clone()), false),
            CreateItem(r) => (Record::Item(r.clone()), true),
            UpdateItem(r) => (Record::Item(r.clone()), false),
            CreateCustomer(r) => (Record::Customer(r.clone()), true),
            UpdateCustomer(r) => (Record::Customer(r.clone()), false),
            CreateSupplier(r) => (Record::Supplier(r.clone()), true),
            UpdateSupplier(r) => (Record::Supplier(r.clone()), false),
            CreatePriceList(r) => (Record::PriceList(r.clone()), true),
            UpdatePriceList(r) => (Record::PriceList(r.clone()), false),
            CreateContractPrice(r) => (Record::ContractPrice(r.clone()), true),
            UpdateContractPrice(r) => (Record::ContractPrice(r.clone()), false),
            CreateTaxCode(r) => (Record::TaxCode(r.clone()), true),
            UpdateTaxCode(r) => (Record::TaxCode(r.clone()), false),
            CreateCarrier(r) => (Record::Carrier(r.clone()), true),
            UpdateCarrier(r) => (Record::Carrier(r.clone()), false),
            CreatePaymentTerms(r) => (Record::PaymentTerms(r.clone()), true),
            UpdatePaymentTerms(r) => (Record::PaymentTerms(r.clone()), false),
            CreateOperator(r) => (Record::Operator(r.clone()), true),
            UpdateOperator(r) => (Record::Operator(r.clone()), false),
            CreateReplenishmentPolicy(r) => (Record::Replenishment(r.clone()), true),
            UpdateReplenishmentPolicy(r) => (Record::Replenishment(r.clone()), false),
            _ => return None,
        })
    }

    /// The create (or update) command for a record.
    pub fn upsert(record: Record, create: bool) -> CommandBody {
        use CommandBody::*;
        match (record, create) {
            (Record::Entity(r), true) => CreateEntity(r),
            (Record::Entity(r), false) => UpdateEntity(r),
            (Record::Account(r), true) => CreateAccount(r),
            (Record::Account(r), false) => UpdateAccount(r),
            (Record::Warehouse(r), true) => CreateWarehouse(r),
            (Record::Warehouse(r), false) => UpdateWarehouse(r),
            (Record::Bin(r), true) => CreateBin(r),
            (Record::Bin(r), false) => UpdateBin(r),
            (Record::Item(r), true) => CreateItem(r),
            (Record::Item(r), false) => UpdateItem(r),
            (Record::Customer(r), true) => CreateCustomer(r),
            (Record::Customer(r), false) => UpdateCustomer(r),
            (Record::Supplier(r), true) => CreateSupplier(r),
            (Record::Supplier(r), false) => UpdateSupplier(r),
            (Record::PriceList(r), true) => CreatePriceList(r),
            (Record::PriceList(r), false) => UpdatePriceList(r),
            (Record::ContractPrice(r), true) => CreateContractPrice(r),
            (Record::ContractPrice(r), false) => UpdateContractPrice(r),
            (Record::TaxCode(r), true) => CreateTaxCode(r),
            (Record::TaxCode(r), false) => UpdateTaxCode(r),
            (Record::Carrier(r), true) => CreateCarrier(r),
            (Record::Carrier(r), false) => UpdateCarrier(r),
            (Record::PaymentTerms(r), true) => CreatePaymentTerms(r),
            (Record::PaymentTerms(r), false) => UpdatePaymentTerms(r),
            (Record::Operator(r), true) => CreateOperator(r),
            (Record::Operator(r), false) => UpdateOperator(r),
            (Record::Replenishment(r), true) => CreateReplenishmentPolicy(r),
            (Record::Replenishment(r), false) => UpdateReplenishmentPolicy(r),
        }
    }
}

fn fifty() -> usize {
    50
}

/// Currency helper for commands that carry a bare code.
pub fn currency(code: &str) -> Currency {
    Currency::new(code)
}

/// Every command's name, in the order the enum declares them.
pub const NAMES: &[&str] = &[
    "create_entity",
    "update_entity",
    "create_account",
    "update_account",
    "create_warehouse",
    "update_warehouse",
    "create_bin",
    "update_bin",
    "create_item",
    "update_item",
    "create_customer",
    "update_customer",
    "create_supplier",
    "update_supplier",
    "create_price_list",
    "update_price_list",
    "set_list_price",
    "create_contract_price",
    "update_contract_price",
    "create_tax_code",
    "update_tax_code",
    "create_carrier",
    "update_carrier",
    "create_payment_terms",
    "update_payment_terms",
    "create_operator",
    "update_operator",
    "set_posting_rule",
    "set_category_margin_floor",
    "define_fiscal_year",
    "set_fx_rate",
    "approve_change",
    "reject_change",
    "post_opening_stock",
    "place_order",
    "confirm_quote",
    "release_hold",
    "reject_hold",
    "cancel_order",
    "cancel_line",
    "release_order",
    "release_wave",
    "confirm_pick",
    "ship_pick",
    "invoice_shipments",
    "receive_payment",
    "pack_carton",
    "release_carton",
    "unpack_carton",
    "authorize_return",
    "receive_return",
    "cancel_return",
    "change_order_line",
    "add_order_lines",
    "counter_sale",
    "create_purchase_order",
    "approve_purchase_order",
    "change_purchase_order_line",
    "cancel_purchase_order",
    "close_purchase_order",
    "receive_purchase",
    "put_away",
    "enter_supplier_invoice",
    "approve_supplier_invoice",
    "reject_supplier_invoice",
    "pay_supplier",
    "allocate_landed_cost",
    "schedule_counts",
    "ship_transfer",
    "receive_transfer",
    "enter_count",
    "approve_count",
    "reject_count",
    "create_replenishment_policy",
    "update_replenishment_policy",
    "accept_replenishment",
    "submit_purchase_order",
    "adjust_stock",
    "close_period",
    "lock_period",
    "reopen_period",
    "post_journal_entry",
    "reverse_journal_entry",
    "revalue_fx",
    "import_bank_statement",
    "auto_match_bank",
    "match_bank_line",
    "post_bank_line",
    "refund_credit",
    "issue_credit_memo",
    "set_password",
    "sign_in",
    "unlock_operator",
    "declare_demo",
    "set_printer",
    "set_default_printer",
    "set_document_profile",
    "record_print",
    "set_time_zone",
    "close_year",
    "settle_intercompany",
    "approve_exception",
    "reject_exception",
    "reassign_exception",
    "comment_exception",
    "snooze_exception",
    "escalate_exceptions",
    "issue_debit_memo",
    "issue_supplier_debit_note",
    "receive_supplier_refund",
    "will_call_sale",
    "set_data_quality_rules",
    "resolve_dispute",
    "set_exception_routing",
    "create_channel_policy",
    "update_channel_policy",
    "set_customer_overrides",
    "confirm_delivery",
    "invoice_due",
    "reassign_clock_exception",
    "comment_clock_exception",
    "snooze_clock_exception",
    "archive_closed",
];

/// The permission each command needs, by its name: the one table the core
/// enforces (`decide` checks `CommandBody::permission`, which reads it) and
/// `depot report permissions` prints.
pub fn permission_of(name: &str) -> Option<Permission> {
    Some(match name {
        "create_entity" | "update_entity" | "create_account" | "update_account"
        | "set_posting_rule" | "define_fiscal_year" | "set_fx_rate" => {
            Permission::ManageFinanceSetup
        }
        "create_warehouse"
        | "update_warehouse"
        | "create_bin"
        | "update_bin"
        | "create_item"
        | "update_item"
        | "create_tax_code"
        | "update_tax_code"
        | "create_carrier"
        | "update_carrier"
        | "create_payment_terms"
        | "update_payment_terms" => Permission::ManageMasterData,
        "create_customer" | "update_customer" => Permission::ManageCustomers,
        "create_supplier" | "update_supplier" => Permission::ManageSuppliers,
        "create_price_list"
        | "update_price_list"
        | "set_list_price"
        | "create_contract_price"
        | "update_contract_price"
        | "set_category_margin_floor" => Permission::ManagePricing,
        "create_operator" | "update_operator" => Permission::ManageOperators,
        "approve_change" | "reject_change" => Permission::ApproveChanges,
        "post_opening_stock" | "adjust_stock" => Permission::AdjustStock,
        "place_order" | "confirm_quote" | "cancel_order" | "cancel_line" => {
            Permission::CaptureOrders
        }
        "release_hold" | "reject_hold" => Permission::ReleaseHolds,
        "release_order" | "release_wave" | "ship_pick" => Permission::Ship,
        "confirm_pick" => Permission::Pick,
        "invoice_shipments" | "issue_credit_memo" | "issue_debit_memo" => Permission::Invoice,
        "receive_payment" | "refund_credit" => Permission::TakePayment,
        "pack_carton" | "unpack_carton" => Permission::Pack,
        "release_carton" => Permission::ReleaseHolds,
        "authorize_return" | "cancel_return" => Permission::CaptureOrders,
        "receive_return" => Permission::ReceiveReturns,
        "counter_sale" | "will_call_sale" => Permission::SellAtCounter,
        "create_purchase_order"
        | "create_replenishment_policy"
        | "update_replenishment_policy"
        | "accept_replenishment"
        | "submit_purchase_order"
        | "change_purchase_order_line"
        | "cancel_purchase_order"
        | "close_purchase_order" => Permission::Purchase,
        "approve_purchase_order" | "approve_supplier_invoice" | "reject_supplier_invoice" => {
            Permission::ApproveChanges
        }
        "receive_purchase" => Permission::Receive,
        "put_away" => Permission::Putaway,
        "enter_supplier_invoice" | "allocate_landed_cost" => Permission::EnterSupplierInvoices,
        "pay_supplier" | "receive_supplier_refund" => Permission::PaySuppliers,
        "issue_supplier_debit_note" => Permission::EnterSupplierInvoices,
        "schedule_counts" => Permission::AdjustStock,
        "ship_transfer" => Permission::Ship,
        "receive_transfer" => Permission::Receive,
        "enter_count" => Permission::Putaway,
        "approve_count" | "reject_count" => Permission::ApproveChanges,
        "change_order_line" | "add_order_lines" => Permission::CaptureOrders,
        "close_period" | "lock_period" | "reopen_period" => Permission::ClosePeriods,
        "import_bank_statement"
        | "auto_match_bank"
        | "match_bank_line"
        | "post_bank_line"
        | "mark_bank_reconciled"
        | "void_bank_statement" => Permission::ReconcileBank,
        "post_journal_entry" | "reverse_journal_entry" | "revalue_fx" => Permission::PostJournals,
        // Every operator signs in and sets their own password; setting
        // somebody else's needs `manage_operators` (checked in decide).
        "set_password" | "sign_in" => Permission::ViewMasterData,
        "unlock_operator" | "declare_demo" => Permission::ManageOperators,
        "set_printer" | "set_default_printer" => Permission::ManageMasterData,
        "set_document_profile" => Permission::ManageFinanceSetup,
        "record_print" => Permission::ViewMasterData,
        "set_time_zone" => Permission::ManageMasterData,
        "close_year" => Permission::ClosePeriods,
        "settle_intercompany" => Permission::PostJournals,
        // Approve and reject need the permission of the document's own
        // command too (checked when they dispatch to it).
        "approve_exception" | "reject_exception" => Permission::ApproveChanges,
        "reassign_exception" | "snooze_exception" => Permission::ApproveChanges,
        "comment_exception" => Permission::ViewMasterData,
        "reassign_clock_exception" | "snooze_clock_exception" => Permission::ApproveChanges,
        "comment_clock_exception" => Permission::ViewMasterData,
        "escalate_exceptions" => Permission::ApproveChanges,
        "set_data_quality_rules" => Permission::ManageDataQuality,
        // Within the operator's write-off authority (checked in decide).
        "resolve_dispute" => Permission::ManageCredit,
        // Governed: applies when somebody else approves it.
        "set_exception_routing" => Permission::ApproveChanges,
        // A change of a policy is governed: somebody else approves it.
        "create_channel_policy" | "update_channel_policy" => Permission::ManageChannelPolicies,
        // Within the limits the channel policy sets.
        "set_customer_overrides" => Permission::ManageCustomers,
        "confirm_delivery" => Permission::Ship,
        "invoice_due" => Permission::Invoice,
        // The controller's: what leaves memory is read from the archive.
        "archive_closed" => Permission::ClosePeriods,
        _ => return None,
    })
}
