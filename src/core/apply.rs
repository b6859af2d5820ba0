//! `apply(&mut State, &Envelope)`: the only way state changes. Cannot fail:
//! everything was checked by `decide`. Replaying the log from empty through
//! `apply` reproduces the state exactly.

use super::event::{Envelope, Event, StockMove};
use super::master::Record;
use super::posting::JournalEntry;
use super::scan;
use super::state::{BinKey, ChangeRequest, CostPool, KeyUse, Modify, State};
use crate::core::types::Code;
use crate::core::types::ToCode;

/// Apply one log record: its events, its idempotency key, its sequence.
pub fn apply(state: &mut State, env: &Envelope) {
    for event in env.events() {
        let keys = pool_keys(event);
        let before: Vec<CostPool> = keys
            .iter()
            .map(|k| state.costs.get(k).cloned().unwrap_or_default())
            .collect();
        // Data quality: what the record replaced may change findings too.
        let quality = super::quality::before(state, event);
        apply_event(state, env.seq, event);
        super::quality::after(state, event);
        super::cash::track_unapplied(state, event);
        super::cash::track_disputes(state, &env.operator, event);
        super::exceptions::apply_event(state, env, event);
        // The queue follows the documents in the same record.
        super::exceptions::sync(state, env, event, &keys);
        super::exceptions::sync_blocked(state, env, event, quality);
        super::kpi::track(state, env, event);
        for (k, b) in keys.into_iter().zip(before) {
            let a = state.costs.get(&k).cloned().unwrap_or_default();
            let (dq, dv) = (a.qty - b.qty, a.value - b.value);
            if !dq.is_zero() || !dv.is_zero() {
                // The entity's business date of the record's time.
                let day = super::zone::entity_date(state, &k.0, env.time);
                state.pool_days.modify(k, |d| d.add(day, dq, dv));
            }
        }
    }
    if let Some(key) = &env.key {
        state.keys.insert(
            key.clone(),
            KeyUse {
                seq: env.seq,
                digest: env.digest.clone(),
                operator: env.operator.clone(),
            },
        );
    }
    // Each order the record touched remembers it (once), read after the
    // events so that documents the record made are found.
    let mut orders: Vec<super::types::Code> = Vec::with_capacity(4);
    for event in env.events() {
        orders.extend(orders_touched(state, event));
    }
    orders.sort();
    orders.dedup();
    // What was said about an order's late risk ends with the episode
    // (shipped in full, closed, cancelled, requested for another day).
    if !state.clock_notes.is_empty() {
        for order in &orders {
            super::exceptions::forget_late_risk(state, order);
        }
    }
    // An order has a history exactly when it is in the state (an
    // invariant), so only one this record placed is looked up there.
    for order in orders {
        if let Some(seqs) = state.order_history.get_mut(&order) {
            if seqs.last() != Some(&env.seq) {
                seqs.push(env.seq);
            }
        } else if state.orders.contains_key(&order) {
            state.order_history.insert(order, vec![env.seq].into());
        }
    }
    state.seq = env.seq;
}

/// The sales orders an (applied) event is about, directly or through one
/// of their documents. Every event is named, so that a new one is placed
/// here on purpose.
pub fn orders_touched(state: &State, event: &Event) -> Vec<super::types::Code> {
    let of_invoice = |number: &Code| -> Vec<super::types::Code> {
        let mut out: Vec<super::types::Code> = state
            .invoices
            .get(number)
            .map(|i| i.lines.iter().map(|l| l.order.clone()).collect())
            .unwrap_or_default();
        out.sort();
        out.dedup();
        out
    };
    let of_pick = |list: &Code| -> Vec<super::types::Code> {
        state
            .picks
            .get(list)
            .map(|p| vec![p.order.clone()])
            .unwrap_or_default()
    };
    let of_rma = |rma: &Code| -> Vec<super::types::Code> {
        state
            .returns
            .get(rma)
            .map(|r| of_invoice(&r.invoice))
            .unwrap_or_default()
    };
    match event {
        Event::OrderPlaced(o) => vec![o.number.clone()],
        Event::OrderConfirmed { number }
        | Event::HoldReleased { number, .. }
        | Event::StockReserved { number, .. }
        | Event::Backordered { number, .. }
        | Event::ReservationReleased { number, .. }
        | Event::LineCancelled { number, .. }
        | Event::OrderCancelled { number, .. }
        | Event::QuoteConfirmed { number, .. }
        | Event::LineChanged { number, .. }
        | Event::LinesAdded { number, .. }
        | Event::Repromised { number, .. }
        | Event::BackorderFilled { number, .. } => vec![number.clone()],
        Event::PickListCreated(p) => vec![p.order.clone()],
        Event::Picked { order, .. } | Event::PickShort { order, .. } => vec![order.clone()],
        Event::PickLineAdded { list, .. }
        | Event::PickShortReason { list, .. }
        | Event::CartonPacked { list, .. }
        | Event::CartonReleased { list, .. }
        | Event::CartonUnpacked { list, .. } => of_pick(list),
        Event::Shipped { shipment, .. } => vec![shipment.order.clone()],
        Event::Invoiced { invoice, .. } => of_invoice(&invoice.number),
        Event::PaymentReceived { receipt, .. } => {
            let mut out: Vec<super::types::Code> = receipt
                .applications
                .iter()
                .flat_map(|a| of_invoice(&a.invoice))
                .collect();
            out.sort();
            out.dedup();
            out
        }
        Event::ReturnAuthorized(rma) => of_invoice(&rma.invoice),
        Event::ReturnCancelled { rma, .. } | Event::ReturnReceived { rma, .. } => of_rma(rma),
        Event::CreditMemoIssued { memo, .. } => of_invoice(&memo.invoice),
        Event::DocumentPrinted(p) => match p.kind.as_str() {
            "invoice" => of_invoice(&p.doc),
            "credit-memo" => state
                .credit_memos
                .get(&p.doc)
                .map(|m| of_invoice(&m.invoice))
                .unwrap_or_default(),
            "acknowledgment" => vec![p.doc.clone()],
            "pick-ticket" => of_pick(&p.doc),
            "packing-slip" | "carton-label" => {
                of_pick(&p.doc.split('/').next().unwrap_or_default().to_code())
            }
            "bill-of-lading" => state
                .shipments
                .get(&p.doc)
                .map(|s| vec![s.order.clone()])
                .unwrap_or_default(),
            _ => Vec::new(),
        },
        Event::MasterUpserted(_)
        | Event::PostingRuleSet { .. }
        | Event::CategoryMarginFloorSet { .. }
        | Event::PeriodsDefined { .. }
        | Event::FxRateSet(_)
        | Event::ChangeRequested { .. }
        | Event::ChangeApproved { .. }
        | Event::ChangeRejected { .. }
        | Event::OpeningStockPosted { .. }
        | Event::WaveReleased(_)
        | Event::PurchaseOrderCreated(_)
        | Event::PurchaseOrderApproved { .. }
        | Event::PurchaseOrderChanged { .. }
        | Event::PurchaseOrderCancelled { .. }
        | Event::PurchaseOrderClosed { .. }
        | Event::GoodsReceived { .. }
        | Event::PutAway { .. }
        | Event::SupplierInvoiceEntered { .. }
        | Event::SupplierInvoiceApproved { .. }
        | Event::SupplierInvoiceRejected { .. }
        | Event::SupplierPaid { .. }
        | Event::LandedCostAllocated { .. }
        | Event::CountsScheduled { .. }
        | Event::RecountNeeded { .. }
        | Event::CountRejected { .. }
        | Event::CountHeld { .. }
        | Event::CountSettled { .. }
        | Event::CountApproved { .. }
        | Event::TransferShipped { .. }
        | Event::TransferReceived { .. }
        | Event::PurchaseOrderSubmitted { .. }
        | Event::LotRegistered { .. }
        | Event::StockAdjusted { .. }
        | Event::PeriodsClosed { .. }
        | Event::PeriodsLocked { .. }
        | Event::PeriodsReopened { .. }
        | Event::JournalPosted { .. }
        | Event::FxRevalued { .. }
        | Event::BankStatementImported { .. }
        | Event::BankStatementVoided { .. }
        | Event::BankMatched { .. }
        | Event::BankLinePosted { .. }
        | Event::ListPriceSet { .. }
        | Event::CreditRefunded { .. }
        | Event::PasswordSet { .. }
        | Event::SignedIn { .. }
        | Event::SignInFailed { .. }
        | Event::OperatorUnlocked { .. }
        | Event::DemoDeclared
        | Event::PrinterSet(_)
        | Event::DefaultPrinterSet { .. }
        | Event::DocumentProfileSet(_)
        | Event::TimeZoneSet { .. }
        | Event::YearClosed { .. }
        | Event::YearReopened { .. }
        | Event::IntercompanySettled { .. }
        | Event::ExceptionReassigned { .. }
        | Event::ExceptionCommented { .. }
        | Event::ExceptionSnoozed { .. }
        | Event::IdentityLinked { .. }
        | Event::DataQualityRulesSet { .. } => Vec::new(),
        Event::ShortPickAcknowledged { list, .. } => of_pick(list),
        Event::DebitMemoIssued { memo, .. } => of_invoice(&memo.invoice),
        Event::SupplierDebitNoted { .. } | Event::SupplierRefundReceived { .. } => Vec::new(),
        Event::DepositTaken(d) => vec![d.order.clone()],
        Event::DepositApplied { order, .. } | Event::DepositReleased { order, .. } => {
            vec![order.clone()]
        }
        Event::DisputeResolved { resolution, .. } => of_invoice(&resolution.invoice),
        Event::ExceptionRoutingSet { .. } | Event::BankReconciled { .. } => Vec::new(),
        Event::ClockExceptionNoted { key, .. } => key.order().map(Code::from).into_iter().collect(),
        Event::OrderPolicyRecorded { number, .. } => vec![number.clone()],
        Event::DeliveryConfirmed { shipment, .. } => state
            .shipments
            .get(shipment)
            .map(|s| vec![s.order.clone()])
            .unwrap_or_default(),
        Event::ChannelPolicySet(_) | Event::CustomerOverridesSet { .. } => Vec::new(),
        // Its orders leave the state (and their histories with them).
        Event::Archived(_) | Event::BankArchived(_) => Vec::new(),
    }
}

/// The item cost pools (entity, sku) an event may change, each once, so
/// that `apply` can date what it did to them (`State::pool_days`). Every
/// event is named so that a new one that moves stock must be listed here.
pub(crate) fn pool_keys(event: &Event) -> Vec<(super::types::Code, super::types::Code)> {
    // A few keys at most: a vector sorted once, not a tree per event.
    let mut keys = Vec::new();
    let mut moves = |ms: &[StockMove]| {
        for m in ms {
            keys.push((m.entity.clone(), m.sku.clone()));
        }
    };
    match event {
        Event::OpeningStockPosted { moves: ms, .. }
        | Event::ReturnReceived { moves: ms, .. }
        | Event::GoodsReceived { moves: ms, .. }
        | Event::PutAway { moves: ms, .. }
        | Event::TransferShipped { moves: ms, .. }
        | Event::TransferReceived { moves: ms, .. } => moves(ms),
        Event::CountSettled {
            adjustment: Some((m, _)),
            ..
        }
        | Event::CountApproved {
            adjustment: (m, _), ..
        }
        | Event::StockAdjusted {
            adjustment: Some((m, _)),
            ..
        } => moves(std::slice::from_ref(m)),
        Event::Shipped { shipment, .. } => {
            for l in &shipment.lines {
                keys.push((shipment.entity.clone(), l.sku.clone()));
            }
        }
        Event::LandedCostAllocated {
            invoice, shares, ..
        } => {
            for x in shares {
                keys.push((invoice.entity.clone(), x.sku.clone()));
            }
        }
        Event::CountSettled {
            adjustment: None, ..
        }
        | Event::StockAdjusted {
            adjustment: None, ..
        }
        | Event::Picked { .. }
        | Event::MasterUpserted(_)
        | Event::PostingRuleSet { .. }
        | Event::CategoryMarginFloorSet { .. }
        | Event::PeriodsDefined { .. }
        | Event::FxRateSet(_)
        | Event::ChangeRequested { .. }
        | Event::ChangeApproved { .. }
        | Event::ChangeRejected { .. }
        | Event::OrderPlaced(_)
        | Event::OrderConfirmed { .. }
        | Event::HoldReleased { .. }
        | Event::StockReserved { .. }
        | Event::Backordered { .. }
        | Event::ReservationReleased { .. }
        | Event::LineCancelled { .. }
        | Event::OrderCancelled { .. }
        | Event::QuoteConfirmed { .. }
        | Event::PickListCreated(_)
        | Event::PickLineAdded { .. }
        | Event::PickShortReason { .. }
        | Event::PickShort { .. }
        | Event::Invoiced { .. }
        | Event::PaymentReceived { .. }
        | Event::CartonPacked { .. }
        | Event::CartonReleased { .. }
        | Event::CartonUnpacked { .. }
        | Event::ReturnAuthorized(_)
        | Event::ReturnCancelled { .. }
        | Event::CreditMemoIssued { .. }
        | Event::LineChanged { .. }
        | Event::LinesAdded { .. }
        | Event::WaveReleased(_)
        | Event::PurchaseOrderCreated(_)
        | Event::PurchaseOrderApproved { .. }
        | Event::PurchaseOrderChanged { .. }
        | Event::PurchaseOrderCancelled { .. }
        | Event::PurchaseOrderClosed { .. }
        | Event::SupplierInvoiceEntered { .. }
        | Event::SupplierInvoiceApproved { .. }
        | Event::SupplierInvoiceRejected { .. }
        | Event::SupplierPaid { .. }
        | Event::CountsScheduled { .. }
        | Event::RecountNeeded { .. }
        | Event::CountRejected { .. }
        | Event::CountHeld { .. }
        | Event::Repromised { .. }
        | Event::BackorderFilled { .. }
        | Event::PurchaseOrderSubmitted { .. }
        | Event::LotRegistered { .. }
        | Event::PeriodsClosed { .. }
        | Event::PeriodsLocked { .. }
        | Event::PeriodsReopened { .. }
        | Event::JournalPosted { .. }
        | Event::FxRevalued { .. }
        | Event::BankStatementImported { .. }
        | Event::BankStatementVoided { .. }
        | Event::BankMatched { .. }
        | Event::BankLinePosted { .. }
        | Event::ListPriceSet { .. }
        | Event::CreditRefunded { .. }
        | Event::PasswordSet { .. }
        | Event::SignedIn { .. }
        | Event::SignInFailed { .. }
        | Event::OperatorUnlocked { .. }
        | Event::DemoDeclared
        | Event::PrinterSet(_)
        | Event::DefaultPrinterSet { .. }
        | Event::DocumentProfileSet(_)
        | Event::DocumentPrinted(_)
        | Event::TimeZoneSet { .. }
        | Event::YearClosed { .. }
        | Event::YearReopened { .. }
        | Event::IntercompanySettled { .. }
        | Event::ShortPickAcknowledged { .. }
        | Event::ExceptionReassigned { .. }
        | Event::ExceptionCommented { .. }
        | Event::ExceptionSnoozed { .. }
        | Event::ClockExceptionNoted { .. }
        | Event::IdentityLinked { .. }
        | Event::DebitMemoIssued { .. }
        | Event::SupplierDebitNoted { .. }
        | Event::SupplierRefundReceived { .. }
        | Event::DepositTaken(_)
        | Event::DepositApplied { .. }
        | Event::DepositReleased { .. }
        | Event::DataQualityRulesSet { .. }
        | Event::DisputeResolved { .. }
        | Event::ExceptionRoutingSet { .. }
        | Event::BankReconciled { .. }
        | Event::ChannelPolicySet(_)
        | Event::CustomerOverridesSet { .. }
        | Event::OrderPolicyRecorded { .. }
        | Event::DeliveryConfirmed { .. }
        | Event::Archived(_)
        | Event::BankArchived(_) => {}
    }
    keys.sort();
    keys.dedup();
    keys
}

pub fn apply_event(state: &mut State, seq: u64, event: &Event) {
    match event {
        Event::MasterUpserted(r) => upsert(state, r),
        Event::PostingRuleSet {
            entity,
            key,
            account,
        } => {
            state
                .posting_rules
                .insert((entity.clone(), *key), account.clone());
        }
        Event::DataQualityRulesSet { entity, rules } => {
            state.quality_rules.insert(entity.clone(), rules.clone());
        }
        Event::CategoryMarginFloorSet { category, pct } => match pct {
            Some(p) => {
                state.category_floors.insert(category.clone(), *p);
            }
            None => {
                state.category_floors.remove(category);
            }
        },
        Event::PeriodsDefined { periods } => {
            for p in periods {
                state.periods.insert((p.entity.clone(), p.start), p.clone());
            }
        }
        Event::FxRateSet(fx) => {
            state
                .fx_rates
                .insert((fx.from.clone(), fx.to.clone(), fx.date), fx.rate);
        }
        Event::ChangeRequested {
            id,
            requested_by,
            fields,
            change,
        } => {
            state.changes.insert(
                *id,
                ChangeRequest {
                    id: *id,
                    requested_by: requested_by.clone(),
                    fields: fields.clone(),
                    change: change.clone(),
                    seq,
                },
            );
            state.next_change_id = state.next_change_id.max(id + 1);
        }
        Event::ChangeApproved { id, .. } | Event::ChangeRejected { id, .. } => {
            state.changes.remove(id);
        }
        Event::OpeningStockPosted { moves, journal } => {
            for m in moves {
                apply_move(state, m);
            }
            apply_journal(state, journal);
        }
        Event::OrderPlaced(_)
        | Event::OrderConfirmed { .. }
        | Event::HoldReleased { .. }
        | Event::StockReserved { .. }
        | Event::Backordered { .. }
        | Event::ReservationReleased { .. }
        | Event::LineCancelled { .. }
        | Event::OrderCancelled { .. }
        | Event::QuoteConfirmed { .. }
        | Event::BackorderFilled { .. }
        | Event::Repromised { .. } => super::sales::apply_event(state, event),
        Event::PickListCreated(_)
        | Event::PickLineAdded { .. }
        | Event::PickShortReason { .. }
        | Event::Picked { .. }
        | Event::PickShort { .. }
        | Event::Shipped { .. }
        | Event::WaveReleased(_) => super::warehouse::apply_event(state, event),
        Event::Invoiced { .. } => super::billing::apply_event(state, event),
        Event::PaymentReceived { .. } | Event::CreditRefunded { .. } => {
            super::cash::apply_event(state, event)
        }
        Event::PasswordSet { .. }
        | Event::SignedIn { .. }
        | Event::SignInFailed { .. }
        | Event::OperatorUnlocked { .. }
        | Event::DemoDeclared => super::signin::apply_event(state, event),
        Event::PrinterSet(_)
        | Event::DefaultPrinterSet { .. }
        | Event::DocumentProfileSet(_)
        | Event::DocumentPrinted(_) => super::printing::apply_event(state, event),
        Event::TimeZoneSet { .. } => super::zone::apply_event(state, event),
        Event::YearClosed { .. } | Event::YearReopened { .. } => {
            super::yearend::apply_event(state, event)
        }
        Event::IntercompanySettled {
            journal,
            payee_journal,
            ..
        } => {
            apply_journal(state, journal);
            apply_journal(state, payee_journal);
        }
        Event::CartonPacked { .. }
        | Event::CartonReleased { .. }
        | Event::CartonUnpacked { .. } => super::pack::apply_event(state, event),
        Event::ReturnAuthorized(_)
        | Event::ReturnCancelled { .. }
        | Event::ReturnReceived { .. }
        | Event::CreditMemoIssued { .. } => super::returns::apply_event(state, event),
        Event::PurchaseOrderCreated(_)
        | Event::PurchaseOrderApproved { .. }
        | Event::PurchaseOrderChanged { .. }
        | Event::PurchaseOrderCancelled { .. }
        | Event::PurchaseOrderClosed { .. }
        | Event::PurchaseOrderSubmitted { .. }
        | Event::GoodsReceived { .. }
        | Event::PutAway { .. }
        | Event::SupplierInvoiceEntered { .. }
        | Event::SupplierInvoiceApproved { .. }
        | Event::SupplierInvoiceRejected { .. }
        | Event::SupplierPaid { .. } => super::purchasing::apply_event(state, event),
        Event::LandedCostAllocated { .. } => super::landed::apply_event(state, event),
        Event::LotRegistered { .. } => super::lots::apply_event(state, event),
        Event::TransferShipped { .. } | Event::TransferReceived { .. } => {
            super::transfer::apply_event(state, event)
        }
        Event::CountsScheduled { .. }
        | Event::RecountNeeded { .. }
        | Event::CountRejected { .. }
        | Event::CountHeld { .. }
        | Event::CountSettled { .. }
        | Event::CountApproved { .. }
        | Event::StockAdjusted { .. } => super::counts::apply_event(state, event),
        Event::PeriodsClosed { .. }
        | Event::PeriodsLocked { .. }
        | Event::PeriodsReopened { .. }
        | Event::JournalPosted { .. }
        | Event::FxRevalued { .. } => super::ledger::apply_event(state, event),
        Event::BankStatementImported {
            entity,
            statement,
            lines,
            ..
        } => super::bank::apply_imported(state, entity, statement, lines),
        Event::BankStatementVoided {
            entity,
            statement,
            lines,
            ..
        } => super::bank::apply_voided(state, entity, statement, lines),
        Event::BankMatched { matches, auto, .. } => {
            super::bank::apply_matched(state, matches, *auto)
        }
        Event::BankLinePosted { line, journal, .. } => {
            super::bank::apply_posted(state, line, journal)
        }
        Event::BankReconciled {
            entity, period, by, ..
        } => super::bank::apply_reconciled(state, entity, period, by),
        Event::ListPriceSet { price_list, price } => {
            if let Some(list) = state.price_lists.get_mut(price_list) {
                list.prices.insert(price.sku.clone(), price.clone());
            }
        }
        Event::LineChanged { .. } | Event::LinesAdded { .. } => {
            super::change::apply_event(state, event)
        }
        // The queue's own events: `exceptions::apply_event` (it needs the
        // record's time).
        Event::ShortPickAcknowledged { .. }
        | Event::ExceptionReassigned { .. }
        | Event::ExceptionCommented { .. }
        | Event::ExceptionSnoozed { .. }
        | Event::ClockExceptionNoted { .. }
        | Event::IdentityLinked { .. } => {}
        Event::DebitMemoIssued { .. }
        | Event::SupplierDebitNoted { .. }
        | Event::SupplierRefundReceived { .. } => super::memo::apply_event(state, event),
        Event::DepositTaken(_) | Event::DepositApplied { .. } | Event::DepositReleased { .. } => {
            super::counter::apply_deposit_event(state, event)
        }
        Event::DisputeResolved { .. } => super::cash::apply_dispute(state, event),
        // The queue's own: `exceptions::apply_event`.
        Event::ExceptionRoutingSet { .. } => {}
        Event::ChannelPolicySet(_)
        | Event::CustomerOverridesSet { .. }
        | Event::OrderPolicyRecorded { .. }
        | Event::DeliveryConfirmed { .. } => super::channel::apply_event(state, event),
        Event::Archived(a) => super::archive::apply_archived(state, a),
        Event::BankArchived(a) => super::bank::apply_archived(state, a),
    }
    super::landed::track(state, event);
}

fn upsert(state: &mut State, r: &Record) {
    match r.clone() {
        Record::Entity(x) => {
            state.entities.insert(x.code.clone(), x);
        }
        Record::Account(x) => {
            state.accounts.insert((x.entity.clone(), x.code.clone()), x);
        }
        Record::Warehouse(x) => {
            state.warehouses.insert(x.code.clone(), x);
        }
        Record::Bin(x) => {
            state.bins.insert((x.warehouse.clone(), x.code.clone()), x);
        }
        Record::Item(x) => {
            if let Some(old) = state.items.get(&x.sku) {
                for b in &old.barcodes {
                    if let Ok(k) = scan::barcode_key(&b.code) {
                        state.barcodes.remove(&k);
                    }
                }
            }
            for b in &x.barcodes {
                if let Ok(k) = scan::barcode_key(&b.code) {
                    state.barcodes.insert(k, (x.sku.clone(), b.unit.clone()));
                }
            }
            state.index.item_changed(state.items.get(&x.sku), &x);
            state.items.insert(x.sku.clone(), x);
        }
        Record::Customer(x) => {
            state.customers.insert(x.code.clone(), x);
        }
        Record::Supplier(x) => {
            state.suppliers.insert(x.code.clone(), x);
        }
        Record::PriceList(x) => {
            state.price_lists.insert(x.code.clone(), x);
        }
        Record::ContractPrice(x) => {
            state
                .index
                .contract_changed(state.contracts.get(&x.code), &x);
            state.contracts.insert(x.code.clone(), x);
        }
        Record::TaxCode(x) => {
            state.tax_codes.insert(x.code.clone(), x);
        }
        Record::Carrier(x) => {
            state.carriers.insert(x.code.clone(), x);
        }
        Record::PaymentTerms(x) => {
            state.terms.insert(x.code.clone(), x);
        }
        Record::Operator(x) => {
            state.operators.insert(x.code.clone(), x);
        }
        Record::Replenishment(x) => {
            state
                .replenishment
                .insert((x.warehouse.clone(), x.sku.clone()), x);
        }
    }
}

/// Move stock in a bin and the item's cost pool; keeps the warehouse totals.
pub fn apply_move(state: &mut State, m: &StockMove) {
    let key = BinKey {
        warehouse: m.warehouse.clone(),
        bin: m.bin.clone(),
        sku: m.sku.clone(),
        lot: m.lot.clone(),
    };
    state.add_bin_stock(&key, m.qty);
    state
        .stock
        .modify((m.warehouse.clone(), m.sku.clone()), |t| t.on_hand += m.qty);
    state
        .costs
        .modify((m.entity.clone(), m.sku.clone()), |pool| {
            pool.qty += m.qty;
            pool.value += m.value;
        });
}

/// Apply a journal entry to the balances; if it moved a bank account the
/// books gain an uncleared item for bank reconciliation.
pub fn apply_journal(state: &mut State, j: &JournalEntry) {
    apply_journal_untracked(state, j);
    super::bank::track(state, j);
}

/// Apply a journal entry that bank reconciliation itself posts.
///
/// Lines on the same account move the same balances, so each account's
/// (and each control account's) lines are summed first and its balances
/// updated once: a shipment of N lines posts N cost-of-goods and N
/// inventory lines to two accounts, four balance updates a line before.
/// A key is still put in for an account whose lines sum to zero, as a
/// line at a time did; the sums are exact, so the balances are the same
/// numbers (a balance that comes to zero may keep another scale or sign,
/// which `==` and `depot check` do not tell apart).
/// Subledger keys (a party or an item) differ line by line and are
/// updated a line at a time.
pub fn apply_journal_untracked(state: &mut State, j: &JournalEntry) {
    use rust_decimal::Decimal;
    let ledger = &mut state.ledger;
    let mut accounts: Vec<(&Code, Decimal)> = Vec::with_capacity(j.lines.len());
    let mut controls: Vec<(super::master::Control, Decimal)> = Vec::new();
    for l in &j.lines {
        let signed = l.signed();
        match accounts.iter_mut().find(|(a, _)| **a == l.account) {
            Some((_, sum)) => *sum += signed,
            None => accounts.push((&l.account, signed)),
        }
        if let (Some(control), Some(sub)) = (l.key.control(), &l.sub) {
            ledger
                .subledger
                .modify((j.entity.clone(), control, sub.clone()), |v| *v += signed);
            match controls.iter_mut().find(|(c, _)| *c == control) {
                Some((_, sum)) => *sum += signed,
                None => controls.push((control, signed)),
            }
        }
    }
    for (account, sum) in accounts {
        let add = |v: &mut Decimal| *v += sum;
        ledger
            .balances
            .modify((j.entity.clone(), account.clone()), add);
        ledger
            .period_balances
            .modify((j.entity.clone(), j.period.clone(), account.clone()), add);
        ledger
            .daily
            .modify((j.entity.clone(), j.date, account.clone()), add);
    }
    for (control, sum) in controls {
        ledger
            .daily_sub
            .modify((j.entity.clone(), j.date, control), |v| *v += sum);
    }
    ledger
        .daily_entries
        .modify((j.entity.clone(), j.date), |n| *n += 1);
    ledger.entries += 1;
    ledger.lines += j.lines.len() as u64;
}

/// Journal entries an event carries (for checks and exports).
pub fn journals(event: &Event) -> Vec<&JournalEntry> {
    match event {
        Event::OpeningStockPosted { journal, .. } => vec![journal],
        Event::Shipped { journal, .. } => vec![journal],
        Event::Invoiced { journal, .. } => vec![journal],
        Event::PaymentReceived { journal, .. } => vec![journal],
        Event::ReturnReceived { journal, .. } => journal.iter().collect(),
        Event::CreditMemoIssued { journal, .. } => vec![journal],
        Event::GoodsReceived { journal, .. } => vec![journal],
        Event::SupplierInvoiceEntered { journal, .. } => journal.iter().collect(),
        Event::SupplierInvoiceApproved { journal, .. } => vec![journal],
        Event::SupplierPaid { journal, .. } => vec![journal],
        Event::LandedCostAllocated { journal, .. } => vec![journal],
        Event::TransferShipped {
            journal,
            dest_journal,
            ..
        } => std::iter::once(journal)
            .chain(dest_journal.iter())
            .collect(),
        Event::TransferReceived { journal, .. } => vec![journal],
        Event::CountSettled { adjustment, .. } => {
            adjustment.iter().filter_map(|(_, j)| j.as_ref()).collect()
        }
        Event::CountApproved { adjustment, .. } => adjustment.1.iter().collect(),
        Event::StockAdjusted { adjustment, .. } => {
            adjustment.iter().flat_map(|(_, j)| j.iter()).collect()
        }
        Event::CountsScheduled { .. }
        | Event::RecountNeeded { .. }
        | Event::CountRejected { .. }
        | Event::CountHeld { .. } => Vec::new(),
        Event::JournalPosted { journal, .. } => vec![journal],
        Event::FxRevalued {
            journal, reversal, ..
        } => vec![journal, reversal],
        Event::BankMatched { matches, .. } => {
            matches.iter().filter_map(|m| m.journal.as_ref()).collect()
        }
        Event::BankLinePosted { journal, .. } => vec![journal],
        Event::CreditRefunded { journal, .. } => vec![journal],
        Event::IntercompanySettled {
            journal,
            payee_journal,
            ..
        } => vec![journal, payee_journal],
        Event::YearClosed { journal, .. } | Event::YearReopened { journal, .. } => {
            if journal.lines.is_empty() {
                Vec::new()
            } else {
                vec![journal]
            }
        }
        Event::BankStatementImported { .. }
        | Event::BankStatementVoided { .. }
        | Event::ListPriceSet { .. } => Vec::new(),
        Event::PasswordSet { .. }
        | Event::SignedIn { .. }
        | Event::SignInFailed { .. }
        | Event::OperatorUnlocked { .. }
        | Event::DemoDeclared => Vec::new(),
        Event::PrinterSet(_)
        | Event::DefaultPrinterSet { .. }
        | Event::DocumentProfileSet(_)
        | Event::DocumentPrinted(_)
        | Event::TimeZoneSet { .. } => Vec::new(),
        Event::PeriodsClosed { .. }
        | Event::PeriodsLocked { .. }
        | Event::PeriodsReopened { .. } => Vec::new(),
        // Listed one by one so that a new event with a journal cannot be
        // missed by `depot check` and the replay checks.
        Event::MasterUpserted(_)
        | Event::PostingRuleSet { .. }
        | Event::CategoryMarginFloorSet { .. }
        | Event::PeriodsDefined { .. }
        | Event::FxRateSet(_)
        | Event::ChangeRequested { .. }
        | Event::ChangeApproved { .. }
        | Event::ChangeRejected { .. }
        | Event::OrderPlaced(_)
        | Event::OrderConfirmed { .. }
        | Event::HoldReleased { .. }
        | Event::StockReserved { .. }
        | Event::Backordered { .. }
        | Event::ReservationReleased { .. }
        | Event::LineCancelled { .. }
        | Event::OrderCancelled { .. }
        | Event::QuoteConfirmed { .. }
        | Event::PickListCreated(_)
        | Event::PickLineAdded { .. }
        | Event::PickShortReason { .. }
        | Event::Picked { .. }
        | Event::PickShort { .. }
        | Event::CartonPacked { .. }
        | Event::CartonReleased { .. }
        | Event::CartonUnpacked { .. }
        | Event::ReturnAuthorized(_)
        | Event::ReturnCancelled { .. }
        | Event::LineChanged { .. }
        | Event::LinesAdded { .. }
        | Event::WaveReleased(_)
        | Event::BackorderFilled { .. }
        | Event::Repromised { .. }
        | Event::PurchaseOrderCreated(_)
        | Event::PurchaseOrderApproved { .. }
        | Event::PurchaseOrderChanged { .. }
        | Event::PurchaseOrderCancelled { .. }
        | Event::PurchaseOrderClosed { .. }
        | Event::PurchaseOrderSubmitted { .. }
        | Event::LotRegistered { .. }
        | Event::PutAway { .. }
        | Event::SupplierInvoiceRejected { .. }
        | Event::ShortPickAcknowledged { .. }
        | Event::ExceptionReassigned { .. }
        | Event::ExceptionCommented { .. }
        | Event::ExceptionSnoozed { .. }
        | Event::ClockExceptionNoted { .. }
        | Event::IdentityLinked { .. }
        | Event::DepositTaken(_)
        | Event::DepositApplied { .. }
        | Event::DepositReleased { .. }
        | Event::DataQualityRulesSet { .. } => Vec::new(),
        Event::DebitMemoIssued { journal, .. }
        | Event::SupplierDebitNoted { journal, .. }
        | Event::SupplierRefundReceived { journal, .. } => vec![journal],
        Event::DisputeResolved { journal, .. } => journal.iter().collect(),
        Event::ExceptionRoutingSet { .. }
        | Event::BankReconciled { .. }
        | Event::ChannelPolicySet(_)
        | Event::CustomerOverridesSet { .. }
        | Event::OrderPolicyRecorded { .. }
        | Event::DeliveryConfirmed { .. }
        | Event::Archived(_)
        | Event::BankArchived(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::master::PostingKey;
    use crate::core::posting::JournalLine;
    use rust_decimal::Decimal;

    /// The ledger a line at a time: what `apply_journal_untracked` did
    /// before it summed an entry's lines by account.
    fn line_by_line(state: &mut State, j: &JournalEntry) {
        let ledger = &mut state.ledger;
        for l in &j.lines {
            let signed = l.signed();
            let add = |v: &mut Decimal| *v += signed;
            ledger
                .balances
                .modify((j.entity.clone(), l.account.clone()), add);
            ledger
                .period_balances
                .modify((j.entity.clone(), j.period.clone(), l.account.clone()), add);
            ledger
                .daily
                .modify((j.entity.clone(), j.date, l.account.clone()), add);
            if let (Some(control), Some(sub)) = (l.key.control(), &l.sub) {
                ledger
                    .subledger
                    .modify((j.entity.clone(), control, sub.clone()), add);
                ledger
                    .daily_sub
                    .modify((j.entity.clone(), j.date, control), add);
            }
        }
        ledger
            .daily_entries
            .modify((j.entity.clone(), j.date), |n| *n += 1);
        ledger.entries += 1;
        ledger.lines += j.lines.len() as u64;
    }

    /// Accounts, each with the posting key that feeds it (two of them
    /// control accounts), and the subledger parties a line may name.
    const ACCOUNTS: [(&str, PostingKey); 4] = [
        ("1100", PostingKey::Receivables),
        ("1200", PostingKey::Inventory),
        ("4000", PostingKey::Revenue),
        ("5000", PostingKey::Cogs),
    ];
    const SUBS: [Option<&str>; 3] = [None, Some("C0001"), Some("FAS-1000")];

    fn entry(day: u32, lines: &[(usize, usize, i64, u32)]) -> JournalEntry {
        JournalEntry {
            entity: "US01".into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap_or_default(),
            period: "FY2026-11".into(),
            doc: "T-1".into(),
            memo: String::new(),
            lines: lines
                .iter()
                .map(|&(a, s, amount, scale)| {
                    let (account, key) = ACCOUNTS[a % ACCOUNTS.len()];
                    let amount = Decimal::new(amount, scale);
                    JournalLine {
                        account: account.into(),
                        key,
                        debit: amount.max(Decimal::ZERO),
                        credit: (-amount).max(Decimal::ZERO),
                        sub: SUBS[s % SUBS.len()].map(Code::from),
                    }
                })
                .collect(),
        }
    }

    /// Two lines on one account that cancel leave its keys in, at zero,
    /// as a line at a time did.
    #[test]
    fn lines_that_cancel_on_an_account_leave_its_key_at_zero() {
        let j = entry(3, &[(2, 0, 1000, 2), (2, 0, -1000, 2), (1, 2, 5, 0)]);
        let (mut a, mut b) = (State::default(), State::default());
        apply_journal_untracked(&mut a, &j);
        line_by_line(&mut b, &j);
        assert_eq!(a.ledger, b.ledger);
        let key = (Code::from("US01"), Code::from("4000"));
        assert_eq!(a.ledger.balances.get(&key), Some(&Decimal::ZERO));
    }

    proptest::proptest! {
        /// Any entries (accounts repeated or not, control lines with and
        /// without a party, small amounts of 0 to 3 decimals, so that lines
        /// often cancel) move every ledger map as their lines one by one
        /// do: the same keys and the same sums. (As numbers: a sum that
        /// comes to zero may be written `0.000` one way and `-0` the other,
        /// which `==`, the reports and `depot check` do not tell apart.)
        #[test]
        fn an_entry_summed_by_account_moves_the_ledger_as_its_lines_one_by_one(
            entries in proptest::collection::vec(
                (1u32..4, proptest::collection::vec((0usize..4, 0usize..3, -3i64..4, 0u32..4), 1..30)),
                1..4,
            ),
        ) {
            let (mut a, mut b) = (State::default(), State::default());
            for (day, lines) in &entries {
                let j = entry(*day, lines);
                apply_journal_untracked(&mut a, &j);
                line_by_line(&mut b, &j);
            }
            proptest::prop_assert_eq!(a.ledger, b.ledger);
        }
    }
}
