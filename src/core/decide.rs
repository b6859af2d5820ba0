//! `decide(&State, &Command) -> Result<Vec<Event>, Rejection>`: pure, no
//! I/O, no clock. Checks who may do it, then what, with flat early returns.
//! All events of one command commit together or not at all.

use super::auth::{allows, Role};
use super::billing;
use super::cash;
use super::command::{Command, CommandBody};
use super::event::{Change, Event, StockMove};
use super::master::*;
use super::posting::{account_fits_key, Posting};
use super::rejection::Rejection;
use super::sales;
use super::state::State;
use super::types::*;
use super::validate;
use super::warehouse;
use crate::core::types::Code;
use crate::core::types::ToCode;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

type D = Result<Vec<Event>, Rejection>;

pub fn decide(state: &State, cmd: &Command) -> D {
    // A document the command names that left memory for the archive is
    // refused as archived wherever in the command it was looked for.
    decide_command(state, cmd).map_err(|r| super::archive::archived_instead(state, r))
}

fn decide_command(state: &State, cmd: &Command) -> D {
    authorize(state, cmd)?;
    if let Some((record, create)) = cmd.body.as_master() {
        return upsert(state, cmd, record, create);
    }
    match &cmd.body {
        CommandBody::SetListPrice { price_list, price } => {
            let list = state
                .price_lists
                .get(price_list)
                .ok_or_else(|| Rejection::NotFound {
                    kind: RecordKind::PriceList,
                    key: price_list.to_string(),
                })?;
            validate::list_price(state, &list.currency, price)?;
            if list.prices.get(&price.sku) == Some(price) {
                return Err(Rejection::NoChange);
            }
            // One price, not the whole list: a list of 100,000 prices
            // would otherwise be written to the log for every price set.
            Ok(vec![Event::ListPriceSet {
                price_list: price_list.clone(),
                price: price.clone(),
            }])
        }
        CommandBody::SetPostingRule {
            entity,
            key,
            account,
        } => set_posting_rule(state, cmd, entity, *key, account),
        CommandBody::SetCategoryMarginFloor { category, pct } => {
            validate::code("category", category)?;
            if let Some(p) = pct {
                validate::pct("pct", *p, Decimal::from(99))?;
            }
            let old = state.category_floors.get(category).copied();
            if old == *pct {
                return Err(Rejection::NoChange);
            }
            let change = Change::CategoryMarginFloor {
                category: category.clone(),
                pct: *pct,
            };
            if old.is_some() {
                return request_change(state, cmd, change, vec!["margin_floor_pct".into()]);
            }
            Ok(vec![Event::CategoryMarginFloorSet {
                category: category.clone(),
                pct: *pct,
            }])
        }
        CommandBody::SetDataQualityRules { entity, rules } => {
            quality_rules(state, cmd, entity.as_ref(), rules)
        }
        CommandBody::DefineFiscalYear { entity, year } => fiscal_year(state, entity, *year),
        CommandBody::SetFxRate(fx) => {
            validate::currency("from", &fx.from)?;
            validate::currency("to", &fx.to)?;
            if fx.from == fx.to {
                return Err(Rejection::Duplicate {
                    field: "currency pair".into(),
                    value: fx.from.to_string(),
                });
            }
            if fx.rate <= Decimal::ZERO {
                return Err(Rejection::NotPositive {
                    field: "rate".into(),
                    value: fx.rate,
                });
            }
            if decimals_used(fx.rate) > RATE_DECIMALS_MAX {
                return Err(Rejection::TooManyDecimals {
                    field: "rate".into(),
                    value: fx.rate,
                    max: RATE_DECIMALS_MAX,
                });
            }
            if fx.rate > Decimal::from(1_000_000) {
                return Err(Rejection::out_of_range("rate", fx.rate, "0", "1000000"));
            }
            Ok(vec![Event::FxRateSet(fx.clone())])
        }
        CommandBody::ApproveChange { id } => approve(state, cmd, *id),
        CommandBody::RejectChange { id, reason } => {
            // Withdrawing your own request is allowed; approving it is not.
            pending(state, *id)?;
            validate::text("reason", reason, true)?;
            Ok(vec![Event::ChangeRejected {
                id: *id,
                rejected_by: cmd.operator.clone(),
                reason: reason.clone(),
            }])
        }
        CommandBody::PostOpeningStock {
            warehouse,
            bin,
            sku,
            qty,
            unit,
            unit_cost,
            lot,
            date,
            expiry,
        } => opening_stock(
            state,
            OpeningStock {
                expiry: *expiry,
                warehouse,
                bin,
                sku,
                qty: *qty,
                unit: unit.as_deref(),
                unit_cost: *unit_cost,
                lot: lot.as_deref(),
                date: date.unwrap_or_else(|| cmd.warehouse_date(state, warehouse)),
            },
        )
        .map(|mut ev| {
            sales::fill_backorders(state, &mut ev, cmd.warehouse_date(state, warehouse));
            ev
        }),
        CommandBody::PlaceOrder { .. } => sales::place(state, cmd),
        CommandBody::ConfirmQuote { number } => {
            sales::confirm_quote(state, number, order_date(state, cmd, number))
        }
        CommandBody::ReleaseHold { number, hold } => {
            sales::decide_hold(state, cmd, number, *hold, true, "")
        }
        CommandBody::RejectHold {
            number,
            hold,
            reason,
        } => sales::decide_hold(state, cmd, number, *hold, false, reason),
        CommandBody::CancelOrder { number, reason } => {
            let ev = sales::cancel(state, cmd, number, None, reason)?;
            super::counter::settle_deposits(state, cmd, ev)
        }
        CommandBody::CancelLine {
            number,
            line,
            reason,
        } => {
            let ev = sales::cancel(state, cmd, number, Some(*line), reason)?;
            super::counter::settle_deposits(state, cmd, ev)
        }
        CommandBody::ReleaseOrder { number } => {
            warehouse::release(state, number, order_date(state, cmd, number))
        }
        CommandBody::ReleaseWave {
            warehouse,
            carrier,
            service,
        } => warehouse::release_wave(state, cmd, warehouse, carrier, service.as_deref()),
        CommandBody::ConfirmPick {
            list,
            line,
            bin,
            item,
            qty,
            short,
            reason,
        } => warehouse::confirm_pick(state, cmd, list, *line, bin, item, *qty, *short, *reason),
        CommandBody::ShipPick {
            list,
            carrier,
            service,
            tracking,
            freight,
        } => {
            let ev = warehouse::ship(
                state, cmd, list, carrier, service, tracking, *freight, false,
            )?;
            super::counter::at_pickup(state, cmd, ev)
        }
        CommandBody::PackCarton {
            list,
            contents,
            weight,
            tare,
        } => super::pack::pack(state, cmd, list, contents, *weight, *tare),
        CommandBody::ReleaseCarton { list, carton } => {
            super::pack::release(state, cmd, list, *carton)
        }
        CommandBody::UnpackCarton { list, carton } => super::pack::unpack(state, list, *carton),
        CommandBody::AuthorizeReturn {
            invoice,
            reason,
            lines,
        } => super::returns::authorize(state, cmd, invoice, reason, lines),
        CommandBody::ReceiveReturn { rma, bin, lines } => {
            super::returns::receive(state, cmd, rma, bin.as_deref(), lines)
        }
        CommandBody::CancelReturn { rma, reason } => super::returns::cancel(state, rma, reason),
        CommandBody::ChangeOrderLine {
            number,
            line,
            qty,
            price,
        } => super::change::change_line(state, cmd, number, *line, *qty, *price),
        CommandBody::AddOrderLines { number, lines } => {
            super::change::add_lines(state, cmd, number, lines)
        }
        CommandBody::CreatePurchaseOrder {
            supplier,
            warehouse,
            lines,
        } => super::purchasing::create(state, cmd, supplier, warehouse, lines),
        CommandBody::ChangePurchaseOrderLine {
            number,
            line,
            qty,
            price,
            expected,
        } => super::purchasing::change_line(state, cmd, number, *line, *qty, *price, *expected),
        CommandBody::SubmitPurchaseOrder { number } => {
            super::purchasing::submit(state, cmd, number)
        }
        CommandBody::AcceptReplenishment {
            supplier,
            warehouse,
            lines,
        } => super::replenish::accept(state, cmd, supplier, warehouse, lines),
        CommandBody::ApprovePurchaseOrder { number } => {
            super::purchasing::approve(state, cmd, number)
        }
        CommandBody::CancelPurchaseOrder { number, reason } => {
            super::purchasing::end(state, cmd, number, reason, false)
        }
        CommandBody::ClosePurchaseOrder { number, reason } => {
            super::purchasing::end(state, cmd, number, reason, true)
        }
        CommandBody::ReceivePurchase { po, bin, lines } => {
            super::purchasing::receive(state, cmd, po, bin, lines)
        }
        CommandBody::PutAway {
            warehouse,
            from,
            sku,
            lot,
            qty,
            to,
            reason,
        } => super::purchasing::put_away(
            state,
            cmd,
            warehouse,
            from,
            sku,
            lot.as_deref(),
            *qty,
            to,
            reason,
        ),
        CommandBody::EnterSupplierInvoice {
            supplier,
            reference,
            lines,
        } => super::purchasing::enter_invoice(state, cmd, supplier, reference, lines),
        CommandBody::ApproveSupplierInvoice { number } => {
            super::purchasing::approve_invoice(state, cmd, number)
        }
        CommandBody::RejectSupplierInvoice { number, reason } => {
            super::purchasing::reject_invoice(state, cmd, number, reason)
        }
        CommandBody::AllocateLandedCost {
            supplier,
            reference,
            kind,
            amount,
            basis,
            receipts,
        } => super::landed::allocate(
            state, cmd, supplier, reference, kind, *amount, *basis, receipts,
        ),
        CommandBody::ScheduleCounts {
            warehouse,
            limit,
            skus,
        } => super::counts::schedule(state, cmd, warehouse, *limit, skus),
        CommandBody::EnterCount { count, qty, reason } => {
            super::counts::enter(state, cmd, count, *qty, *reason)
                .map(|ev| super::counts::fill_after(state, cmd, count, ev))
        }
        CommandBody::ApproveCount { count } => super::counts::approve(state, cmd, count)
            .map(|ev| super::counts::fill_after(state, cmd, count, ev)),
        CommandBody::RejectCount { count, reason } => {
            super::counts::reject(state, cmd, count, reason)
        }
        CommandBody::AdjustStock {
            warehouse,
            bin,
            sku,
            lot,
            qty,
            reason,
        } => super::counts::adjust(
            state,
            cmd,
            warehouse,
            bin,
            sku,
            lot.as_deref(),
            *qty,
            *reason,
        ),
        CommandBody::ShipTransfer { from, to, lines } => {
            super::transfer::ship(state, cmd, from, to, lines)
        }
        CommandBody::ReceiveTransfer { number, bin } => {
            super::transfer::receive(state, cmd, number, bin)
        }
        CommandBody::PaySupplier {
            supplier,
            reference,
            apply,
        } => super::purchasing::pay(state, cmd, supplier, reference, apply),
        CommandBody::CounterSale {
            customer,
            warehouse,
            lines,
            payment,
            payments,
        } => {
            let tenders: Vec<_> = payment.iter().chain(payments.iter()).collect();
            super::counter::sell(state, cmd, customer, warehouse, lines, &tenders)
        }
        CommandBody::InvoiceShipments { shipments } => {
            let ev = billing::invoice(state, cmd, shipments)?;
            super::counter::settle_deposits(state, cmd, ev)
        }
        CommandBody::ReceivePayment {
            customer,
            method,
            amount,
            reference,
            apply,
        } => cash::receive(state, cmd, customer, *method, *amount, reference, apply),
        CommandBody::ClosePeriod { entity, period } => {
            super::ledger::close(state, cmd, entity, period)
        }
        CommandBody::LockPeriod { entity, period } => {
            super::ledger::lock(state, cmd, entity, period)
        }
        CommandBody::ReopenPeriod {
            entity,
            period,
            reason,
        } => super::ledger::request_reopen(state, cmd, entity, period, reason),
        CommandBody::PostJournalEntry {
            entity,
            date,
            memo,
            lines,
        } => super::ledger::post_manual(state, cmd, entity, *date, memo, lines),
        CommandBody::ReverseJournalEntry { number, date } => {
            super::ledger::reverse_manual(state, cmd, number, *date)
        }
        CommandBody::RevalueFx { entity, period } => {
            super::ledger::revalue(state, cmd, entity, period)
        }
        CommandBody::ImportBankStatement {
            entity,
            statement,
            lines,
        } => super::bank::import(state, cmd, entity, statement, lines),
        CommandBody::AutoMatchBank {
            entity,
            window_days,
            tolerance,
        } => super::bank::auto_match(state, cmd, entity, *window_days, *tolerance),
        CommandBody::MatchBankLine {
            line,
            items,
            tolerance,
        } => super::bank::match_line(state, cmd, line, items, *tolerance),
        CommandBody::PostBankLine {
            line,
            account,
            memo,
        } => super::bank::post_line(state, cmd, line, account, memo),
        CommandBody::MarkBankReconciled { entity, period } => {
            super::bank::mark_reconciled(state, cmd, entity, period)
        }
        CommandBody::VoidBankStatement {
            entity,
            statement,
            reason,
        } => super::bank::void_statement(state, cmd, entity, statement, reason),
        CommandBody::RefundCredit {
            customer,
            amount,
            reference,
        } => cash::refund(state, cmd, customer, *amount, reference),
        CommandBody::IssueDebitMemo {
            invoice,
            reason,
            lines,
            freight,
        } => super::memo::issue_debit_memo(state, cmd, invoice, reason, lines, *freight),
        CommandBody::IssueSupplierDebitNote {
            supplier,
            invoice,
            amount,
            reason,
            reference,
        } => super::memo::issue_supplier_debit_note(
            state,
            cmd,
            supplier,
            invoice.as_deref(),
            *amount,
            reason,
            reference,
        ),
        CommandBody::ReceiveSupplierRefund {
            supplier,
            amount,
            reference,
        } => super::memo::receive_supplier_refund(state, cmd, supplier, *amount, reference),
        CommandBody::IssueCreditMemo {
            invoice,
            reason,
            lines,
        } => super::returns::allowance(state, cmd, invoice, reason, lines),
        CommandBody::SetPassword { code, hash } => {
            super::signin::set_password(state, cmd, code, hash)
        }
        CommandBody::SignIn {
            verified,
            station,
            ssh_key,
        } => super::signin::sign_in(state, cmd, *verified, station, ssh_key.as_deref()),
        CommandBody::UnlockOperator { code } => super::signin::unlock(state, code),
        CommandBody::DeclareDemo => super::signin::declare_demo(state),
        CommandBody::SetPrinter(p) => super::printing::set_printer(state, p),
        CommandBody::SetDefaultPrinter { scope, printer } => {
            super::printing::set_default(state, scope, printer)
        }
        CommandBody::SetDocumentProfile(p) => super::printing::set_profile(state, p),
        CommandBody::RecordPrint(r) => super::printing::record_print(state, cmd, r),
        CommandBody::SetTimeZone {
            entity,
            warehouse,
            zone,
            from,
        } => super::zone::set(state, cmd, entity, warehouse, zone, *from),
        CommandBody::CloseYear { entity, year } => super::yearend::close(state, cmd, entity, *year),
        CommandBody::SettleIntercompany {
            payer,
            payee,
            amount,
            reference,
        } => super::transfer::settle(state, cmd, payer, payee, *amount, reference),
        CommandBody::ApproveException { id } => {
            super::exceptions::decide_action(state, cmd, *id, true, "")
        }
        CommandBody::RejectException { id, reason } => {
            super::exceptions::decide_action(state, cmd, *id, false, reason)
        }
        CommandBody::ReassignException { id, to } => {
            super::exceptions::reassign(state, cmd, *id, to)
        }
        CommandBody::CommentException { id, text } => {
            super::exceptions::comment(state, cmd, *id, text)
        }
        CommandBody::SnoozeException { id, until, reason } => {
            super::exceptions::snooze(state, cmd, *id, *until, reason)
        }
        CommandBody::EscalateExceptions => super::exceptions::escalate(state, cmd),
        CommandBody::ReassignClockException { key, to } => super::exceptions::clock_action(
            state,
            cmd,
            key,
            &super::exceptions::ClockAction::Reassign { to: to.clone() },
        ),
        CommandBody::CommentClockException { key, text } => super::exceptions::clock_action(
            state,
            cmd,
            key,
            &super::exceptions::ClockAction::Comment { text: text.clone() },
        ),
        CommandBody::SnoozeClockException { key, until, reason } => {
            super::exceptions::clock_action(
                state,
                cmd,
                key,
                &super::exceptions::ClockAction::Snooze {
                    until: *until,
                    reason: reason.clone(),
                },
            )
        }
        CommandBody::WillCallSale {
            customer,
            warehouse,
            lines,
            payments,
        } => {
            let tenders: Vec<_> = payments.iter().collect();
            super::counter::will_call(state, cmd, customer, warehouse, lines, &tenders)
        }
        CommandBody::ResolveDispute {
            invoice,
            action,
            amount,
            reason,
        } => cash::resolve_dispute(state, cmd, invoice, *action, *amount, reason),
        CommandBody::SetExceptionRouting {
            entity,
            warehouse,
            kind,
            owner,
            sla_days,
            after_days,
        } => {
            let (warehouse, route) = super::exceptions::check_routing(
                state,
                entity,
                warehouse.as_deref(),
                *kind,
                *owner,
                *sla_days,
                *after_days,
            )?;
            let now = super::exceptions::route(state, *kind, entity, warehouse.as_deref());
            let set = state
                .exception_routing
                .get(&(entity.clone(), warehouse.clone(), *kind));
            if set == Some(&route) || (set.is_none() && now == route) {
                return Err(Rejection::NoChange);
            }
            let mut fields = Vec::new();
            if now.owner != route.owner {
                fields.push("owner".to_string());
            }
            if now.sla_days != route.sla_days {
                fields.push("sla_days".to_string());
            }
            if now.after_days != route.after_days {
                fields.push("after_days".to_string());
            }
            request_change(
                state,
                cmd,
                Change::ExceptionRouting {
                    entity: entity.clone(),
                    warehouse,
                    kind: *kind,
                    route,
                },
                fields,
            )
        }
        CommandBody::CreateChannelPolicy(p) => super::channel::set_policy(state, cmd, p, true),
        CommandBody::UpdateChannelPolicy(p) => super::channel::set_policy(state, cmd, p, false),
        CommandBody::SetCustomerOverrides {
            customer,
            overrides,
        } => super::channel::set_overrides(state, customer, overrides),
        CommandBody::ConfirmDelivery { shipment, date } => {
            super::channel::confirm_delivery(state, cmd, shipment, *date)
        }
        CommandBody::InvoiceDue { as_of, customer } => {
            super::channel::invoice_due(state, cmd, *as_of, customer.as_ref())
        }
        CommandBody::ArchiveClosed {
            before,
            max,
            orders,
        } => super::archive::archive_closed(state, cmd, *before, *max, orders.as_deref()),
        _ => unreachable_master(),
    }
}

/// Master commands are handled by `upsert`; this arm cannot be reached.
fn unreachable_master() -> D {
    Err(Rejection::NoChange)
}

/// Who may do it: a known, active operator whose roles grant the
/// command's permission. An empty store accepts only the first admin.
/// Does the command's operator hold `permission` (for an action whose
/// permission depends on what it acts on)?
pub(crate) fn authorize_as(
    state: &State,
    cmd: &Command,
    permission: super::auth::Permission,
) -> Result<(), Rejection> {
    let op = state
        .operators
        .get(&cmd.operator)
        .ok_or_else(|| Rejection::UnknownOperator {
            operator: cmd.operator.chars().take(40).collect(),
        })?;
    if !allows(&op.roles, permission) {
        return Err(Rejection::NotPermitted {
            operator: op.code.to_string(),
            permission,
        });
    }
    Ok(())
}

fn authorize(state: &State, cmd: &Command) -> Result<(), Rejection> {
    if let Some(k) = &cmd.key {
        if k.is_empty() || k.chars().count() > super::command::KEY_LEN_MAX {
            return Err(Rejection::InvalidKey {
                problem: "must be 1 to 128 characters".into(),
            });
        }
    }
    if state.operators.is_empty() {
        return match &cmd.body {
            CommandBody::CreateOperator(op)
                if op.roles.contains(&Role::Admin) && op.code == cmd.operator =>
            {
                Ok(())
            }
            _ => Err(Rejection::BootstrapNeedsAdmin),
        };
    }
    operator_may(state, &cmd.operator, cmd.body.permission())
}

/// May `operator` act with `permission`: known, active, and granted it by
/// a role. What `decide` checks first for every command; a tool that acts
/// before it submits (`depot print` sends the document, then records it)
/// asks it beforehand.
pub fn operator_may(
    state: &State,
    operator: &str,
    permission: super::auth::Permission,
) -> Result<(), Rejection> {
    let op =
        state
            .operators
            .get(&operator.to_code())
            .ok_or_else(|| Rejection::UnknownOperator {
                operator: operator.chars().take(40).collect(),
            })?;
    if !op.active {
        return Err(Rejection::OperatorInactive {
            operator: op.code.to_string(),
        });
    }
    if !allows(&op.roles, permission) {
        return Err(Rejection::NotPermitted {
            operator: op.code.to_string(),
            permission,
        });
    }
    Ok(())
}

fn upsert(state: &State, cmd: &Command, record: Record, create: bool) -> D {
    validate::record(state, &record, create)?;
    if let Record::Customer(c) = &record {
        super::channel::check_customer_move(state, c)?;
    }
    if let Record::Operator(op) = &record {
        if !create && same_as_stored(state, &record) {
            return Err(Rejection::NoChange);
        }
        if let Some(events) = grant(state, cmd, op, create)? {
            return Ok(events);
        }
    }
    if create {
        return Ok(vec![Event::MasterUpserted(record)]);
    }
    if same_as_stored(state, &record) {
        return Err(Rejection::NoChange);
    }
    let fields = governed_changes(state, &record);
    if fields.is_empty() {
        return Ok(vec![Event::MasterUpserted(record)]);
    }
    // Non-governed fields apply now; governed ones wait for a second person.
    let mut events = Vec::new();
    let immediate = with_governed_fields(state, &record, None);
    if let Some(now) = immediate.filter(|r| !same_as_stored(state, r)) {
        events.push(Event::MasterUpserted(now));
    }
    events.extend(request_change(state, cmd, Change::Record(record), fields)?);
    Ok(events)
}

/// Does a role approve somebody else's work (changes, holds, operators)?
pub fn approving_role(role: Role) -> bool {
    use super::auth::Permission as P;
    role.permissions()
        .iter()
        .any(|p| matches!(p, P::ApproveChanges | P::ReleaseHolds | P::ManageOperators))
}

/// Granting a role that approves (creating an operator who holds one, or
/// adding one): with another admin to approve it, a governed change (the
/// operator's other fields apply now; a new operator waits whole); with
/// none, it applies now, and a new admin is tied in the audit to the
/// admin who made it, so that segregation of duties treats them as one.
/// `None`: nothing approving is granted, an ordinary upsert.
fn grant(
    state: &State,
    cmd: &Command,
    op: &Operator,
    create: bool,
) -> Result<Option<Vec<Event>>, Rejection> {
    if state.operators.is_empty() {
        return Ok(None);
    }
    let before: &[Role] = state
        .operators
        .get(&op.code)
        .map(|o| o.roles.as_slice())
        .unwrap_or(&[]);
    if !op
        .roles
        .iter()
        .any(|r| approving_role(*r) && !before.contains(r))
    {
        return Ok(None);
    }
    let me = super::exceptions::person_of(state, &cmd.operator);
    let other_admin = state.operators.values().any(|o| {
        o.active
            && o.roles.contains(&Role::Admin)
            && super::exceptions::person_of(state, &o.code) != me
            && o.code != op.code
    });
    let record = Record::Operator(op.clone());
    if other_admin {
        let mut events = Vec::new();
        if !create {
            if let Some(now) =
                with_governed_fields(state, &record, None).filter(|r| !same_as_stored(state, r))
            {
                events.push(Event::MasterUpserted(now));
            }
        }
        events.extend(request_change(
            state,
            cmd,
            Change::Record(record),
            vec!["roles".into()],
        )?);
        return Ok(Some(events));
    }
    // Alone, an admin who makes another admin makes a second identity of
    // themselves as far as anyone can tell: tied, so that it never
    // approves their requests. (Supervisors and controllers a lone admin
    // creates stay separate people: someone must approve the admin's own
    // changes.)
    let mut events = vec![Event::MasterUpserted(record)];
    if op.code != me && op.roles.contains(&Role::Admin) && !before.contains(&Role::Admin) {
        events.push(Event::IdentityLinked {
            operator: op.code.clone(),
            person: me.to_code(),
        });
    }
    Ok(Some(events))
}

/// The stored record with its non-governed fields taken from `record` and
/// its governed fields from `governed` (the stored ones when `None`).
fn with_governed_fields(
    state: &State,
    record: &Record,
    governed: Option<&Record>,
) -> Option<Record> {
    match (record, governed) {
        (Record::Customer(x), g) => {
            let old = state.customers.get(&x.code)?;
            let src = match g {
                Some(Record::Customer(g)) => g,
                _ => old,
            };
            let mut c = x.clone();
            c.credit_limit = src.credit_limit;
            c.price_list = src.price_list.clone();
            Some(Record::Customer(c))
        }
        (Record::Item(x), g) => {
            let old = state.items.get(&x.sku)?;
            let src = match g {
                Some(Record::Item(g)) => g,
                _ => old,
            };
            let mut i = x.clone();
            i.margin_floor_pct = src.margin_floor_pct;
            Some(Record::Item(i))
        }
        (Record::Operator(x), g) => {
            let old = state.operators.get(&x.code)?;
            let src = match g {
                Some(Record::Operator(g)) => g,
                _ => old,
            };
            let mut o = x.clone();
            o.roles = src.roles.clone();
            Some(Record::Operator(o))
        }
        _ => None,
    }
}

fn same_as_stored(state: &State, r: &Record) -> bool {
    match r {
        Record::Entity(x) => state.entities.get(&x.code) == Some(x),
        Record::Account(x) => state.accounts.get(&(x.entity.clone(), x.code.clone())) == Some(x),
        Record::Warehouse(x) => state.warehouses.get(&x.code) == Some(x),
        Record::Bin(x) => state.bins.get(&(x.warehouse.clone(), x.code.clone())) == Some(x),
        Record::Item(x) => state.items.get(&x.sku) == Some(x),
        Record::Customer(x) => state.customers.get(&x.code) == Some(x),
        Record::Supplier(x) => state.suppliers.get(&x.code) == Some(x),
        Record::PriceList(x) => state.price_lists.get(&x.code) == Some(x),
        Record::ContractPrice(x) => state.contracts.get(&x.code) == Some(x),
        Record::TaxCode(x) => state.tax_codes.get(&x.code) == Some(x),
        Record::Carrier(x) => state.carriers.get(&x.code) == Some(x),
        Record::PaymentTerms(x) => state.terms.get(&x.code) == Some(x),
        Record::Operator(x) => state.operators.get(&x.code) == Some(x),
        Record::Replenishment(x) => {
            state
                .replenishment
                .get(&(x.warehouse.clone(), x.sku.clone()))
                == Some(x)
        }
    }
}

/// Governed fields an update changes (SPEC section 2): credit limit, price
/// list, margin floor. Posting rules are governed through `SetPostingRule`.
fn governed_changes(state: &State, r: &Record) -> Vec<String> {
    let mut fields = Vec::new();
    match r {
        Record::Customer(x) => {
            if let Some(old) = state.customers.get(&x.code) {
                if old.credit_limit != x.credit_limit {
                    fields.push("credit_limit".to_string());
                }
                if old.price_list != x.price_list {
                    fields.push("price_list".to_string());
                }
            }
        }
        Record::Item(x) => {
            if let Some(old) = state.items.get(&x.sku) {
                if old.margin_floor_pct != x.margin_floor_pct {
                    fields.push("margin_floor_pct".to_string());
                }
            }
        }
        _ => {}
    }
    fields
}

pub(crate) fn request_change(
    state: &State,
    cmd: &Command,
    change: Change,
    fields: Vec<String>,
) -> D {
    let subject = change.subject();
    if let Some(open) = state
        .changes
        .values()
        .find(|c| c.change.subject() == subject)
    {
        return Err(Rejection::ChangePending {
            subject,
            id: open.id,
        });
    }
    Ok(vec![Event::ChangeRequested {
        id: state.next_change_id.max(1),
        requested_by: cmd.operator.clone(),
        fields,
        change,
    }])
}

fn pending(state: &State, id: u64) -> Result<&super::state::ChangeRequest, Rejection> {
    state.changes.get(&id).ok_or_else(|| Rejection::NotFound {
        kind: RecordKind::ChangeRequest,
        key: id.to_string(),
    })
}

fn approve(state: &State, cmd: &Command, id: u64) -> D {
    let req = pending(state, id)?;
    // The same person under another operator code is still the requester.
    if super::exceptions::person_of(state, &req.requested_by)
        == super::exceptions::person_of(state, &cmd.operator)
    {
        return Err(Rejection::OwnChange { id });
    }
    // A role that approves is granted by another admin only.
    if matches!(req.change, Change::Record(Record::Operator(_)))
        && !state
            .operators
            .get(&cmd.operator)
            .is_some_and(|o| o.roles.contains(&Role::Admin))
    {
        return Err(Rejection::NotPermitted {
            operator: cmd.operator.to_string(),
            permission: super::auth::Permission::ManageOperators,
        });
    }
    let approved = Event::ChangeApproved {
        id,
        approved_by: cmd.operator.clone(),
    };
    // The world may have moved since the request: validate again.
    if let Change::ReopenPeriod { entity, period, .. } = &req.change {
        // Reopening a closed year's last period undoes its year close.
        let periods = super::ledger::reopenable(state, entity, period)?;
        let mut out = vec![approved];
        // A later period's own reopen request is met by this one (it
        // reopens every closed period after its own): approved with it,
        // not left in the queue to be refused as open already.
        out.extend(
            state
                .changes
                .iter()
                .filter(|(other, r)| {
                    **other != id
                        && matches!(&r.change, Change::ReopenPeriod { entity: e, period: p, .. }
                            if e == entity && periods.contains(p))
                })
                .map(|(other, _)| Event::ChangeApproved {
                    id: *other,
                    approved_by: cmd.operator.clone(),
                }),
        );
        out.extend([Event::PeriodsReopened {
            entity: entity.clone(),
            periods: periods.clone(),
            by: cmd.operator.clone(),
        }]);
        out.extend(super::yearend::reopened(
            state,
            entity,
            &periods,
            &cmd.operator,
        ));
        return Ok(out);
    }
    let applied = match &req.change {
        Change::Record(r) => {
            // Governed fields from the request onto the record as it is now,
            // so that edits made since the request are kept.
            let current = match r {
                Record::Customer(x) => state.customers.get(&x.code).cloned().map(Record::Customer),
                Record::Item(x) => state.items.get(&x.sku).cloned().map(Record::Item),
                Record::Operator(x) => state.operators.get(&x.code).cloned().map(Record::Operator),
                _ => None,
            };
            let merged = current
                .and_then(|cur| with_governed_fields(state, &cur, Some(r)))
                .unwrap_or_else(|| r.clone());
            // An operator asked for with an approving role does not exist
            // until the approval creates it.
            let create =
                matches!(&merged, Record::Operator(o) if !state.operators.contains_key(&o.code));
            validate::record(state, &merged, create)?;
            Event::MasterUpserted(merged)
        }
        Change::PostingRule {
            entity,
            key,
            account,
        } => {
            check_posting_rule(state, entity, *key, account)?;
            Event::PostingRuleSet {
                entity: entity.clone(),
                key: *key,
                account: account.clone(),
            }
        }
        Change::CategoryMarginFloor { category, pct } => Event::CategoryMarginFloorSet {
            category: category.clone(),
            pct: *pct,
        },
        Change::ReopenPeriod { entity, period, .. } => Event::PeriodsReopened {
            periods: super::ledger::reopenable(state, entity, period)?,
            entity: entity.clone(),
            by: cmd.operator.clone(),
        },
        Change::TimeZone { place, zone, from } => {
            super::zone::approved(state, cmd, place, zone, *from)?
        }
        Change::DataQualityRules { entity, rules } => Event::DataQualityRulesSet {
            entity: entity.clone(),
            rules: rules.clone(),
        },
        Change::ExceptionRouting {
            entity,
            warehouse,
            kind,
            route,
        } => {
            super::exceptions::check_routing(
                state,
                entity,
                warehouse.as_deref(),
                *kind,
                route.owner,
                route.sla_days,
                Some(route.after_days),
            )?;
            Event::ExceptionRoutingSet {
                entity: entity.clone(),
                warehouse: warehouse.clone(),
                kind: *kind,
                route: *route,
            }
        }
        Change::ChannelPolicy(p) => {
            super::channel::check_policy(state, p)?;
            Event::ChannelPolicySet(p.clone())
        }
    };
    Ok(vec![approved, applied])
}

/// Set an entity's data-quality rules: at once the first time, as a
/// change request a second person approves afterwards.
fn quality_rules(
    state: &State,
    cmd: &Command,
    entity: Option<&Code>,
    rules: &super::quality::QualityRules,
) -> D {
    if let Some(e) = entity {
        validate::code("entity", e)?;
        if !state.entities.contains_key(e) {
            return Err(Rejection::NotFound {
                kind: RecordKind::Entity,
                key: e.to_string(),
            });
        }
    }
    if let Some(p) = rules.price_below_cost_pct {
        validate::pct("price_below_cost_pct", p, Decimal::from(100))?;
    }
    let key = entity.cloned();
    let rules = rules.clone();
    match state.quality_rules.get(&key) {
        Some(old) if *old == rules => Err(Rejection::NoChange),
        Some(old) => {
            let fields = rules.changed_fields(old);
            request_change(
                state,
                cmd,
                Change::DataQualityRules { entity: key, rules },
                fields,
            )
        }
        None => Ok(vec![Event::DataQualityRulesSet { entity: key, rules }]),
    }
}

fn check_posting_rule(
    state: &State,
    entity: &str,
    key: PostingKey,
    account: &str,
) -> Result<(), Rejection> {
    validate::code("entity", entity)?;
    validate::code("account", account)?;
    if !state.entities.contains_key(&entity.to_code()) {
        return Err(Rejection::NotFound {
            kind: RecordKind::Entity,
            key: entity.into(),
        });
    }
    let acct = state
        .accounts
        .get(&(entity.to_code(), account.to_code()))
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Account,
            key: format!("{entity}/{account}"),
        })?;
    if !account_fits_key(acct.control, key) {
        return Err(Rejection::WrongAccountForKey {
            entity: entity.into(),
            key,
            account: account.into(),
            expected: validate::control_name(key.control()),
        });
    }
    Ok(())
}

fn set_posting_rule(
    state: &State,
    cmd: &Command,
    entity: &str,
    key: PostingKey,
    account: &str,
) -> D {
    check_posting_rule(state, entity, key, account)?;
    let current = state.posting_rules.get(&(entity.to_code(), key));
    let change = Change::PostingRule {
        entity: entity.into(),
        key,
        account: account.into(),
    };
    match current {
        Some(a) if a == account => Err(Rejection::NoChange),
        Some(_) => request_change(state, cmd, change, vec!["account".into()]),
        None => Ok(vec![Event::PostingRuleSet {
            entity: entity.into(),
            key,
            account: account.into(),
        }]),
    }
}

fn fiscal_year(state: &State, entity: &str, year: i32) -> D {
    let e = state
        .entities
        .get(&entity.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Entity,
            key: entity.into(),
        })?;
    let periods = fiscal_year_periods(e, year)?;
    let first = periods[0].start;
    let last = periods[11].end;
    let overlap = |a: &Period, b: &Period| a.start <= b.end && b.start <= a.end;
    // The year's periods are contiguous: what overlaps its span overlaps
    // one of them.
    let existing: Vec<&Period> = state
        .periods
        .values()
        .filter(|p| p.entity == entity && p.start <= last && first <= p.end)
        .collect();
    if let Some(any) = existing.first() {
        let (new, old) = periods
            .iter()
            .find_map(|n| existing.iter().find(|o| overlap(n, o)).map(|o| (n, *o)))
            .unwrap_or((&periods[0], any));
        return Err(Rejection::FiscalYearOverlaps {
            entity: entity.into(),
            year,
            period: new.code.to_string(),
            start: new.start,
            end: new.end,
            existing: old.code.to_string(),
            existing_start: old.start,
            existing_end: old.end,
            overlapped: existing.len() as u64,
        });
    }
    debug_assert_eq!(first.year(), year);
    Ok(vec![Event::PeriodsDefined { periods }])
}

/// The twelve monthly periods, open, of entity `e`'s fiscal year `year`
/// (the year it starts in), as `define_fiscal_year` makes them.
pub fn fiscal_year_periods(e: &Entity, year: i32) -> Result<Vec<Period>, Rejection> {
    let entity = e.code.as_str();
    if !(2000..=2200).contains(&year) {
        return Err(Rejection::out_of_range("year", year, "2000", "2200"));
    }
    let mut periods = Vec::with_capacity(12);
    let (mut y, mut m) = (year, e.fiscal_year_start_month);
    for n in 1..=12 {
        let start = NaiveDate::from_ymd_opt(y, m, 1);
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let next = NaiveDate::from_ymd_opt(ny, nm, 1);
        let (Some(start), Some(end)) = (start, next.and_then(|d| d.pred_opt())) else {
            return Err(Rejection::out_of_range("year", year, "2000", "2200"));
        };
        periods.push(Period {
            entity: entity.into(),
            code: format!("FY{year}-{n:02}").into(),
            start,
            end,
            status: PeriodStatus::Open,
        });
        (y, m) = (ny, nm);
    }
    Ok(periods)
}

struct OpeningStock<'a> {
    warehouse: &'a str,
    bin: &'a str,
    sku: &'a str,
    qty: Decimal,
    unit: Option<&'a str>,
    unit_cost: Decimal,
    lot: Option<&'a str>,
    date: NaiveDate,
    expiry: Option<NaiveDate>,
}

/// Resolve a quantity in any unit of an item to base units, checked.
pub fn base_qty(item: &Item, qty: Decimal, unit: Option<&str>) -> Result<Decimal, Rejection> {
    let unit = unit.unwrap_or(&item.base_unit);
    let factor = item
        .unit_factor(unit)
        .ok_or_else(|| Rejection::UnknownUnit {
            sku: item.sku.to_string(),
            unit: unit.chars().take(40).collect(),
        })?;
    validate::qty("qty", qty, QTY_DECIMALS_MAX)?;
    let base = qty * factor;
    validate::qty("qty in base units", base, item.qty_decimals)?;
    Ok(base.normalize())
}

fn opening_stock(state: &State, o: OpeningStock<'_>) -> D {
    let wh = state
        .warehouses
        .get(&o.warehouse.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Warehouse,
            key: o.warehouse.into(),
        })?;
    if !state
        .bins
        .contains_key(&(o.warehouse.to_code(), o.bin.to_code()))
    {
        return Err(Rejection::NotFound {
            kind: RecordKind::Bin,
            key: format!("{}/{}", o.warehouse, o.bin),
        });
    }
    let item = state
        .items
        .get(&o.sku.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Item,
            key: o.sku.into(),
        })?;
    if !item.active {
        return Err(Rejection::Inactive {
            kind: RecordKind::Item,
            key: item.sku.to_string(),
        });
    }
    let qty = base_qty(item, o.qty, o.unit)?;
    validate::price("unit_cost", o.unit_cost)?;
    super::lots::lot_given(item, o.lot)?;
    let mut lots = super::lots::NewLots::default();
    lots.check(state, &item.sku, o.lot, o.expiry, o.date)?;
    let entity = state
        .entities
        .get(&wh.entity)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Entity,
            key: wh.entity.to_string(),
        })?;
    // unit_cost is per base unit; the quantity may have been given in packs.
    let value = entity.base_currency.round(qty * o.unit_cost);
    if value > AMOUNT_MAX {
        return Err(Rejection::out_of_range("value", value, "0", AMOUNT_MAX));
    }
    let doc = format!("OPEN-{}-{}-{}", o.warehouse, o.bin, o.sku);
    let journal = Posting::new(state, &wh.entity, o.date, &doc, "opening stock")
        .debit(PostingKey::Inventory, value, Some(o.sku))
        .credit(PostingKey::OpeningBalance, value, None)
        .build()?;
    let mut events: Vec<Event> = lots.events(o.date).collect();
    events.push(Event::OpeningStockPosted {
        moves: vec![StockMove {
            entity: wh.entity.clone(),
            warehouse: o.warehouse.into(),
            bin: o.bin.into(),
            sku: o.sku.into(),
            lot: o.lot.map(Code::from),
            qty,
            value,
        }],
        journal,
    });
    Ok(events)
}

/// The business date of a command about sales order `number`: its
/// entity's (UTC days when the order is unknown; the command refuses it).
fn order_date(state: &State, cmd: &Command, number: &str) -> NaiveDate {
    state
        .orders
        .get(&number.to_code())
        .map(|o| cmd.entity_date(state, &o.entity))
        .unwrap_or_else(|| cmd.date())
}
