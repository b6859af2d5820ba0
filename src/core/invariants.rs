//! The invariants of SPEC section 8, in one place: used by tests, by
//! `depot check`, and by debug assertions after apply.
//!
//! `check_state` verifies what a single state must satisfy. `Replayer`
//! verifies what only history shows: each journal balanced and posted into
//! an open period, stock equal to the sum of its movements (replay from
//! empty), and replay reproducing the state exactly.

use super::apply::{apply, journals};
use super::event::{Envelope, Event};
use super::master::{AccountKind, Control, PeriodStatus, PostingKey};
use super::state::{Map, SmallSet, State};
use super::types::Code;
use crate::core::types::ToCode;
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap as HashMap, FxHashSet};
use std::collections::BTreeMap;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Violation {
    #[error("record {seq}: archived {doc} {problem}")]
    Archive {
        seq: u64,
        doc: String,
        problem: String,
    },
    #[error("channel policies: {problem}")]
    ChannelPolicy { problem: String },
    #[error("{sku} in {warehouse}: {reserved} reserved, but open order lines hold {lines}")]
    ReservedVsOrders {
        warehouse: Code,
        sku: Code,
        reserved: Decimal,
        lines: Decimal,
    },
    #[error("order {number} line {line}: {problem}")]
    OrderLine {
        number: Code,
        line: u32,
        problem: String,
    },
    #[error("stock of {sku} in {warehouse}/{bin} is negative: {qty}")]
    NegativeStock {
        warehouse: Code,
        bin: Code,
        sku: Code,
        qty: Decimal,
    },
    #[error("stock of {sku} in {warehouse}: bins hold {bins}, the warehouse total says {total}")]
    WarehouseTotal {
        warehouse: Code,
        sku: Code,
        bins: Decimal,
        total: Decimal,
    },
    #[error("stock of {sku} in {warehouse}: reserved {reserved} exceeds on hand {on_hand}")]
    OverReserved {
        warehouse: Code,
        sku: Code,
        reserved: Decimal,
        on_hand: Decimal,
    },
    #[error("cost pool of {sku} in {entity} holds {pool} units, its warehouses {stock}")]
    PoolQty {
        entity: Code,
        sku: Code,
        pool: Decimal,
        stock: Decimal,
    },
    #[error("cost pool of {sku} in {entity} has value {value} with {qty} units")]
    PoolValue {
        entity: Code,
        sku: Code,
        qty: Decimal,
        value: Decimal,
    },
    #[error("ledger of {entity} does not balance: debits minus credits = {diff}")]
    LedgerUnbalanced { entity: Code, diff: Decimal },
    #[error("{control:?} subledger of {entity} is {sub}, its control accounts {gl}")]
    Subledger {
        entity: Code,
        control: Control,
        sub: Decimal,
        gl: Decimal,
    },
    /// A customer's statement (every document on it, and what archived
    /// ones brought forward) must come to what they owe.
    #[error(
        "the statement of {customer} comes to {statement}, its open invoices less credit on account to {due}"
    )]
    Statement {
        customer: Code,
        statement: Decimal,
        due: Decimal,
    },
    #[error("inventory subledger of {entity} is {sub}, the cost pools are worth {pools}")]
    InventoryPools {
        entity: Code,
        sub: Decimal,
        pools: Decimal,
    },
    #[error(
        "period balances of {entity}/{account} sum to {periods}, the account balance is {balance}"
    )]
    PeriodTotals {
        entity: Code,
        account: Code,
        periods: Decimal,
        balance: Decimal,
    },
    #[error("{what}: the dated movements add up to {dated}, the balance is {current}")]
    DatedTotals {
        what: String,
        dated: Decimal,
        current: Decimal,
    },
    #[error("record {seq}: journal {doc} does not balance ({debit} / {credit})")]
    JournalUnbalanced {
        seq: u64,
        doc: String,
        debit: Decimal,
        credit: Decimal,
    },
    #[error(
        "record {seq}: journal {doc} posts into period {period} of {entity}, which was not open"
    )]
    ClosedPeriod {
        seq: u64,
        doc: String,
        entity: Code,
        period: Code,
    },
    #[error("record {seq}: journal {doc} posts to account {account} which {entity} does not have")]
    UnknownAccount {
        seq: u64,
        doc: String,
        entity: Code,
        account: Code,
    },
    #[error("record {seq}: journal {doc} posts {key} to account {account}, whose control does not take it")]
    KeyOnWrongAccount {
        seq: u64,
        doc: String,
        account: Code,
        key: &'static str,
    },
    #[error("fiscal year {year} of {entity} is closed but {problem}")]
    YearClose {
        entity: Code,
        year: i32,
        problem: String,
    },
    #[error("record {seq} follows record {prev}: the log has a gap or is out of order")]
    Sequence { seq: u64, prev: u64 },
    #[error(
        "replaying the log from empty does not reproduce the state at record {seq}: {what} differ"
    )]
    ReplayMismatch { seq: u64, what: String },
    /// The exception queue disagrees with the documents' holds.
    #[error("exception queue: {problem}")]
    Exceptions { problem: String },
}

/// What `check_state` looked at, for `depot check` to print.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    pub master_records: usize,
    pub bins_with_stock: usize,
    pub stock_positions: usize,
    pub cost_pools: usize,
    pub accounts_with_balance: usize,
    pub subledger_parties: usize,
    pub entities: usize,
    pub orders: usize,
}

/// Verify everything a single state must satisfy.
pub fn check_state(state: &State) -> Result<Verified, Violation> {
    let mut bins_sum: HashMap<(&Code, &Code), Decimal> = HashMap::default();
    for (k, q) in &state.bin_stock {
        if *q < Decimal::ZERO {
            return Err(Violation::NegativeStock {
                warehouse: k.warehouse.clone(),
                bin: k.bin.clone(),
                sku: k.sku.clone(),
                qty: *q,
            });
        }
        *bins_sum.entry((&k.warehouse, &k.sku)).or_default() += *q;
        // Stock of a lot-tracked item is always in a lot registered when
        // it came in; other items' stock never is.
        let tracked = state.items.get(&k.sku).is_some_and(|i| i.lot_tracked);
        let problem = match &k.lot {
            Some(l) if !state.lots.contains_key(&(k.sku.clone(), l.clone())) => {
                Some(format!("lot {l} was never registered"))
            }
            Some(l) if !tracked => Some(format!("lot {l} of an item not lot-tracked")),
            None if tracked => Some("stock of a lot-tracked item without a lot".into()),
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(Violation::OrderLine {
                number: format!("bin {}/{} {}", k.warehouse, k.bin, k.sku).into(),
                line: 0,
                problem,
            });
        }
    }
    let mut entity_stock: HashMap<(&Code, &Code), Decimal> = HashMap::default();
    for ((wh, sku), s) in &state.stock {
        let bins = bins_sum.remove(&(wh, sku)).unwrap_or_default();
        if bins != s.on_hand {
            return Err(Violation::WarehouseTotal {
                warehouse: wh.clone(),
                sku: sku.clone(),
                bins,
                total: s.on_hand,
            });
        }
        // Reserved stock is still in its bins: picking takes it out of
        // both on hand and reserved at once.
        if s.reserved > s.on_hand || s.reserved < Decimal::ZERO {
            return Err(Violation::OverReserved {
                warehouse: wh.clone(),
                sku: sku.clone(),
                reserved: s.reserved,
                on_hand: s.on_hand,
            });
        }
        if let Some(e) = state.warehouse_entity(wh) {
            // Picked goods are out of their bin but still the entity's.
            *entity_stock.entry((e, sku)).or_default() += s.on_hand + s.in_pick;
        }
    }
    // What is left has bins but no warehouse total.
    for ((wh, sku), bins) in &bins_sum {
        if !bins.is_zero() {
            return Err(Violation::WarehouseTotal {
                warehouse: (*wh).clone(),
                sku: (*sku).clone(),
                bins: *bins,
                total: Decimal::ZERO,
            });
        }
    }
    let mut pools_by_entity: BTreeMap<&Code, Decimal> = BTreeMap::new();
    for ((entity, sku), pool) in &state.costs {
        let stock = entity_stock
            .get(&(entity, sku))
            .copied()
            .unwrap_or_default();
        if pool.qty != stock {
            return Err(Violation::PoolQty {
                entity: entity.clone(),
                sku: sku.clone(),
                pool: pool.qty,
                stock,
            });
        }
        let bad_value = pool.value < Decimal::ZERO || (pool.qty.is_zero() && !pool.value.is_zero());
        if bad_value {
            return Err(Violation::PoolValue {
                entity: entity.clone(),
                sku: sku.clone(),
                qty: pool.qty,
                value: pool.value,
            });
        }
        *pools_by_entity.entry(entity).or_default() += pool.value;
    }
    // Ledger: each entity balances; period balances add up to the balance.
    let mut per_entity: BTreeMap<&Code, Decimal> = BTreeMap::new();
    for ((entity, _), b) in &state.ledger.balances {
        *per_entity.entry(entity).or_default() += *b;
    }
    for (entity, diff) in per_entity {
        if !diff.is_zero() {
            return Err(Violation::LedgerUnbalanced {
                entity: entity.clone(),
                diff,
            });
        }
    }
    let mut by_period: HashMap<(&Code, &Code), Decimal> = HashMap::default();
    for ((entity, _, account), b) in &state.ledger.period_balances {
        *by_period.entry((entity, account)).or_default() += *b;
    }
    for ((entity, account), balance) in &state.ledger.balances {
        let periods = by_period
            .get(&(entity, account))
            .copied()
            .unwrap_or_default();
        if periods != *balance {
            return Err(Violation::PeriodTotals {
                entity: entity.clone(),
                account: account.clone(),
                periods,
                balance: *balance,
            });
        }
    }
    // A closed fiscal year: every period closed, and its profit and loss
    // (revenue and expense accounts over its periods) all in retained
    // earnings, so nil.
    for ((entity, year), yc) in &state.year_closes {
        let periods = super::yearend::periods_of(state, entity, *year);
        let problem = |p: String| Violation::YearClose {
            entity: entity.clone(),
            year: *year,
            problem: p,
        };
        if let Some(open) = periods.iter().find(|p| p.status == PeriodStatus::Open) {
            return Err(problem(format!("period {} is open", open.code)));
        }
        if periods.last().map(|p| &p.code) != Some(&yc.period) {
            return Err(problem(format!(
                "its closing entry is in {}, not its last period",
                yc.period
            )));
        }
        let mut year: BTreeMap<&Code, Decimal> = BTreeMap::new();
        for p in &periods {
            let lo = (entity.clone(), p.code.clone(), Code::default());
            for ((e, code, account), v) in state.ledger.period_balances.range(lo..) {
                if e != entity || *code != p.code {
                    break;
                }
                let kind = state
                    .accounts
                    .get(&(e.clone(), account.clone()))
                    .map(|a| a.kind);
                if matches!(kind, Some(AccountKind::Revenue | AccountKind::Expense)) {
                    *year.entry(account).or_default() += *v;
                }
            }
        }
        if let Some((account, v)) = year.iter().find(|(_, v)| !v.is_zero()) {
            return Err(problem(format!(
                "account {account} holds {v} over the year's periods"
            )));
        }
    }
    // The dated balances (reports as of a day) add up to the balances, and
    // the dated pool movements to the cost pools.
    let mut by_day: HashMap<(&Code, &Code), Decimal> = HashMap::default();
    for ((entity, _, account), b) in &state.ledger.daily {
        *by_day.entry((entity, account)).or_default() += *b;
    }
    for ((entity, account), balance) in &state.ledger.balances {
        let days = by_day.get(&(entity, account)).copied().unwrap_or_default();
        if days != *balance {
            return Err(Violation::DatedTotals {
                what: format!("account {account} of {entity}"),
                dated: days,
                current: *balance,
            });
        }
    }
    for (key, pool) in &state.costs {
        let (entity, sku) = key;
        let dated = state
            .pool_days
            .get(key)
            .map(|days| days.up_to(chrono::NaiveDate::MAX))
            .unwrap_or_default();
        let (q, v) = (dated.qty, dated.value);
        if q != pool.qty || v != pool.value {
            return Err(Violation::DatedTotals {
                what: format!(
                    "cost pool of {sku} in {entity} (quantity {q} by day, {} now)",
                    pool.qty
                ),
                dated: v,
                current: pool.value,
            });
        }
    }
    // Subledgers equal their control accounts.
    for entity in state.entities.keys() {
        for control in [Control::Receivables, Control::Payables, Control::Inventory] {
            let sub: Decimal = state
                .ledger
                .subledger
                .range((entity.clone(), control, Code::default())..)
                .take_while(|((e, c, _), _)| e == entity && *c == control)
                .map(|(_, v)| *v)
                .sum();
            let gl: Decimal = state
                .accounts
                .values()
                .filter(|a| a.entity == entity && a.control == Some(control))
                .filter_map(|a| state.ledger.balances.get(&(entity.clone(), a.code.clone())))
                .copied()
                .sum();
            if sub != gl {
                return Err(Violation::Subledger {
                    entity: entity.clone(),
                    control,
                    sub,
                    gl,
                });
            }
            if control == Control::Inventory {
                let pools = pools_by_entity.get(entity).copied().unwrap_or_default();
                let in_transit = Decimal::ZERO;
                if sub != pools + in_transit {
                    return Err(Violation::InventoryPools {
                        entity: entity.clone(),
                        sub,
                        pools,
                    });
                }
            }
        }
    }
    // Reservations: each warehouse's reserved = what open order lines hold.
    let mut held: HashMap<(&Code, &Code), Decimal> = HashMap::default();
    for o in state.orders.values_sorted() {
        for l in &o.lines {
            let bad = if l.reserved < Decimal::ZERO || l.backordered < Decimal::ZERO {
                Some("a negative reservation or backorder".to_string())
            } else if l.picked < Decimal::ZERO || l.shipped < Decimal::ZERO {
                Some("a negative picked or shipped quantity".to_string())
            } else if l.reserved + l.backordered + l.picked + l.shipped > l.qty {
                Some(format!(
                    "reserved {} + backordered {} + picked {} + shipped {} exceed the {} ordered",
                    l.reserved, l.backordered, l.picked, l.shipped, l.qty
                ))
            } else if l.cancelled && !l.reserved.is_zero() {
                Some("cancelled but still reserving stock".to_string())
            } else {
                None
            };
            if let Some(problem) = bad {
                return Err(Violation::OrderLine {
                    number: o.number.clone(),
                    line: l.line,
                    problem,
                });
            }
            if !l.reserved.is_zero() {
                *held.entry((&l.warehouse, &l.sku)).or_default() += l.reserved;
            }
        }
    }
    // Goods in pick = what open pick lists have picked.
    let mut picking: HashMap<(&Code, &Code), Decimal> = HashMap::default();
    for p in state.picks.values_sorted() {
        if p.status != super::warehouse::PickStatus::Open {
            continue;
        }
        for l in &p.lines {
            if l.picked + l.short > l.qty || l.picked < Decimal::ZERO {
                return Err(Violation::OrderLine {
                    number: p.number.clone(),
                    line: l.line,
                    problem: format!("picked {} + short {} exceed {}", l.picked, l.short, l.qty),
                });
            }
            *picking.entry((&p.warehouse, &l.sku)).or_default() += l.picked;
        }
    }
    for ((wh, sku), s) in &state.stock {
        let in_lists = picking.get(&(wh, sku)).copied().unwrap_or_default();
        if in_lists != s.in_pick {
            return Err(Violation::OrderLine {
                number: format!("{wh}/{sku}").into(),
                line: 0,
                problem: format!(
                    "{} in pick, but open pick lists picked {in_lists}",
                    s.in_pick
                ),
            });
        }
        let lines = held.remove(&(wh, sku)).unwrap_or_default();
        if lines != s.reserved {
            return Err(Violation::ReservedVsOrders {
                warehouse: wh.clone(),
                sku: sku.clone(),
                reserved: s.reserved,
                lines,
            });
        }
    }
    if let Some(((wh, sku), lines)) = held.into_iter().next() {
        return Err(Violation::ReservedVsOrders {
            warehouse: wh.clone(),
            sku: sku.clone(),
            reserved: Decimal::ZERO,
            lines,
        });
    }
    // Invoices: made from shipments, each shipment invoiced at most once,
    // quantities as shipped; open amounts within the total; AR per
    // customer = what their invoices still owe.
    let mut owed: HashMap<(&Code, &Code), Decimal> = HashMap::default();
    for inv in state.invoices.values_sorted() {
        let bad = |problem: String| Violation::OrderLine {
            number: inv.number.clone(),
            line: 0,
            problem,
        };
        if inv.open < Decimal::ZERO || inv.open > inv.total {
            return Err(bad(format!("open {} outside 0..{}", inv.open, inv.total)));
        }
        if inv.open != inv.total - inv.applied - inv.adjusted - inv.credited {
            return Err(bad(format!(
                "open {} is not total {} - applied {} - settled otherwise {} - credited {}",
                inv.open, inv.total, inv.applied, inv.adjusted, inv.credited
            )));
        }
        for (i, l) in inv.lines.iter().enumerate() {
            if l.credited < Decimal::ZERO || l.credited > l.returned || l.returned > l.qty {
                return Err(bad(format!(
                    "line {}: credited {} / returned {} / invoiced {} out of order",
                    i + 1,
                    l.credited,
                    l.returned,
                    l.qty
                )));
            }
        }
        if inv.disputed < Decimal::ZERO || inv.disputed > inv.open {
            return Err(bad(format!(
                "disputed {} outside 0..open {}",
                inv.disputed, inv.open
            )));
        }
        if inv.base_open < Decimal::ZERO || (inv.open.is_zero() != inv.base_open.is_zero()) {
            return Err(bad(format!(
                "base open {} does not follow open {}",
                inv.base_open, inv.open
            )));
        }
        for s in &inv.shipments {
            let Some(sh) = state.shipments.get(s) else {
                return Err(bad(format!("shipment {s} does not exist")));
            };
            if sh.invoice.as_ref() != Some(&inv.number) {
                return Err(bad(format!(
                    "shipment {s} is marked invoiced by {:?}",
                    sh.invoice
                )));
            }
            for l in &sh.lines {
                let billed: Decimal = inv
                    .lines
                    .iter()
                    .filter(|x| x.shipment == s && x.order_line == l.order_line && x.sku == l.sku)
                    .map(|x| x.qty)
                    .sum();
                let shipped: Decimal = sh
                    .lines
                    .iter()
                    .filter(|x| x.order_line == l.order_line && x.sku == l.sku)
                    .map(|x| x.qty)
                    .sum();
                if billed != shipped {
                    return Err(bad(format!(
                        "invoices {billed} of order line {} but shipment {s} shipped {shipped}",
                        l.order_line
                    )));
                }
            }
        }
        // Only a debit memo bills no shipment.
        if inv.shipments.is_empty() && !state.debit_memos.contains_key(&inv.number) {
            return Err(bad("lists no shipment and is not a debit memo".into()));
        }
        *owed.entry((&inv.entity, &inv.customer)).or_default() += inv.base_open;
    }
    // Debit memos: each is an AR document of no quantity on an invoice of
    // the same customer that is not itself a debit memo, and its document
    // bills what the memo says.
    for m in state.debit_memos.values() {
        let bad = |problem: String| Violation::OrderLine {
            number: m.number.clone(),
            line: 0,
            problem,
        };
        let Some(doc) = state.invoices.get(&m.number) else {
            return Err(bad("has no AR document".into()));
        };
        let on = state.invoices.get(&m.invoice);
        if on.is_none_or(|i| i.customer != m.customer || i.entity != m.entity)
            || state.debit_memos.contains_key(&m.invoice)
        {
            return Err(bad(format!(
                "is on {}, which is not an invoice of customer {}",
                m.invoice, m.customer
            )));
        }
        let goods: Decimal = m.lines.iter().map(|l| l.amount).sum();
        let tax: Decimal = doc.taxes.iter().map(|t| t.tax).sum();
        if !doc.shipments.is_empty()
            || doc.customer != m.customer
            || doc.entity != m.entity
            || doc.currency != m.currency
            || doc.lines.len() != m.lines.len()
            || doc
                .lines
                .iter()
                .any(|l| !l.qty.is_zero() || !l.shipment.is_empty())
            || tax != m.tax
            || doc.freight != m.freight
            || doc.total != m.total
            || m.total != goods + m.tax + m.freight
        {
            return Err(bad(format!(
                "its document bills {} ({} lines) but the memo says {} ({} lines)",
                doc.total,
                doc.lines.len(),
                m.total,
                m.lines.len()
            )));
        }
    }
    check_purchasing(state)?;
    // In transit: the account holds what transfers on the way carry; the
    // destination's entity carries them.
    for code in state.entities.keys() {
        let want: Decimal = state
            .transfers
            .values()
            .filter(|t| {
                t.to_entity == code && t.status == super::transfer::TransferStatus::InTransit
            })
            .flat_map(|t| t.lines.iter())
            .map(|l| l.dest_value)
            .sum();
        let gl = state
            .posting_rules
            .get(&(code.clone(), super::master::PostingKey::InTransit))
            .and_then(|a| state.ledger.balances.get(&(code.clone(), a.clone())))
            .copied()
            .unwrap_or_default();
        if gl != want {
            return Err(Violation::OrderLine {
                number: format!("entity {code}").into(),
                line: 0,
                problem: format!("in-transit account {gl} but transfers on the way carry {want}"),
            });
        }
    }
    // Waves: each list of a wave exists and names the wave.
    for w in state.waves.values() {
        for n in &w.lists {
            if !state
                .picks
                .get(n)
                .is_some_and(|p| p.wave.as_ref() == Some(&w.number) && p.warehouse == w.warehouse)
            {
                return Err(Violation::OrderLine {
                    number: w.number.clone(),
                    line: 0,
                    problem: format!("pick list {n} is not a list of this wave"),
                });
            }
        }
    }
    // Returns: what is authorized, received and credited per invoice line
    // agrees with the RMAs and credit memos.
    let mut returned: BTreeMap<(&Code, u32), Decimal> = BTreeMap::new();
    let mut credited: BTreeMap<(&Code, u32), Decimal> = BTreeMap::new();
    let mut credited_total: BTreeMap<&Code, Decimal> = BTreeMap::new();
    for r in state.returns.values() {
        use super::returns::ReturnStatus;
        for l in &r.lines {
            if l.received < Decimal::ZERO || l.received > l.qty {
                return Err(Violation::OrderLine {
                    number: r.number.clone(),
                    line: l.line,
                    problem: format!("received {} of {}", l.received, l.qty),
                });
            }
            let counts = if r.status == ReturnStatus::Cancelled {
                l.received
            } else {
                l.qty
            };
            *returned.entry((&r.invoice, l.invoice_line)).or_default() += counts;
        }
        let all_in = r.lines.iter().all(|l| l.received >= l.qty);
        if all_in != (r.status == ReturnStatus::Received) {
            return Err(Violation::OrderLine {
                number: r.number.clone(),
                line: 0,
                problem: format!("status {:?} but all received: {all_in}", r.status),
            });
        }
    }
    for m in state.credit_memos.values() {
        for l in &m.lines {
            *credited.entry((&m.invoice, l.invoice_line)).or_default() += l.qty;
        }
        *credited_total.entry(&m.invoice).or_default() += m.to_invoice;
        if m.to_invoice + m.to_credit != m.total || m.to_credit < Decimal::ZERO {
            return Err(Violation::OrderLine {
                number: m.number.clone(),
                line: 0,
                problem: format!(
                    "total {} is not {} to the invoice + {} credit",
                    m.total, m.to_invoice, m.to_credit
                ),
            });
        }
    }
    for inv in state.invoices.values_sorted() {
        for (i, l) in inv.lines.iter().enumerate() {
            let n = i as u32 + 1;
            let r = returned.remove(&(&inv.number, n)).unwrap_or_default();
            let c = credited.remove(&(&inv.number, n)).unwrap_or_default();
            if r != l.returned || c != l.credited {
                return Err(Violation::OrderLine {
                    number: inv.number.clone(),
                    line: n,
                    problem: format!(
                        "returned {} / credited {} but the returns say {r} / {c}",
                        l.returned, l.credited
                    ),
                });
            }
        }
        let c = credited_total.remove(&inv.number).unwrap_or_default();
        if c != inv.credited {
            return Err(Violation::OrderLine {
                number: inv.number.clone(),
                line: 0,
                problem: format!("credited {} but its credit memos {c}", inv.credited),
            });
        }
    }
    if let Some(((inv, line), _)) = returned
        .into_iter()
        .chain(credited)
        .find(|(_, v)| !v.is_zero())
    {
        return Err(Violation::OrderLine {
            number: inv.clone(),
            line,
            problem: "returned or credited on a line its invoice does not have".into(),
        });
    }
    for s in state.shipments.values_sorted() {
        if let Some(n) = &s.invoice {
            if !state
                .invoices
                .get(n)
                .is_some_and(|i| i.shipments.contains(&s.number))
            {
                return Err(Violation::OrderLine {
                    number: s.number.clone(),
                    line: 0,
                    problem: format!("marked invoiced by {n}, which does not list it"),
                });
            }
        }
    }
    for ((entity, control, party), v) in &state.ledger.subledger {
        if *control != Control::Receivables {
            continue;
        }
        let open = owed.remove(&(entity, party)).unwrap_or_default();
        if open != *v {
            return Err(Violation::OrderLine {
                number: format!("customer {party}").into(),
                line: 0,
                problem: format!("AR subledger {v} but open invoices {open}"),
            });
        }
    }
    // Unapplied customer credit: never negative, nor what it is carried
    // at; nothing carried for a customer without credit (using all of a
    // credit relieves all it carried); carried at its amount for customers
    // billed in the base currency; and per entity the carried values are
    // what the unapplied-cash account holds.
    for ((e, customer), v) in &state.unapplied {
        let carried = state
            .unapplied_base
            .get(&(e.clone(), customer.clone()))
            .copied()
            .unwrap_or_default();
        let same_currency = state
            .customers
            .get(customer)
            .zip(state.entities.get(e))
            .is_some_and(|(c, en)| c.currency == en.base_currency);
        let problem = if *v < Decimal::ZERO {
            Some(format!("negative unapplied credit {v}"))
        } else if v.is_zero() || carried < Decimal::ZERO {
            Some(format!("unapplied credit {v} carried at {carried}"))
        } else if same_currency && carried != *v {
            Some(format!(
                "unapplied credit {v} in the base currency carried at {carried}"
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Violation::OrderLine {
                number: format!("customer {customer}").into(),
                line: 0,
                problem,
            });
        }
    }
    // Will-call deposits: each positive, for an order that exists and is
    // not cancelled, of the order's customer; together no more than the
    // customer's unapplied credit they are part of.
    let mut earmarked: std::collections::BTreeMap<(Code, Code), Decimal> = Default::default();
    for d in state.deposits.values() {
        let order = state.orders.get(&d.order);
        let problem = if d.remaining <= Decimal::ZERO || d.remaining > d.taken {
            Some(format!("deposit left {} of {} taken", d.remaining, d.taken))
        } else if order.is_none_or(|o| o.customer != d.customer) {
            Some(format!("deposit of {} for no order of theirs", d.customer))
        } else if order.is_some_and(|o| o.status == super::sales::OrderStatus::Cancelled) {
            Some("deposit still earmarked for a cancelled order".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Violation::OrderLine {
                number: d.order.clone(),
                line: 0,
                problem,
            });
        }
        *earmarked
            .entry((d.entity.clone(), d.customer.clone()))
            .or_default() += d.remaining;
    }
    for ((e, customer), v) in earmarked {
        let credit = state
            .unapplied
            .get(&(e.clone(), customer.clone()))
            .copied()
            .unwrap_or_default();
        if v > credit {
            return Err(Violation::OrderLine {
                number: format!("customer {customer}").into(),
                line: 0,
                problem: format!("deposits {v} earmarked but unapplied credit only {credit}"),
            });
        }
    }
    if let Some(((_, customer), carried)) = state
        .unapplied_base
        .iter()
        .find(|(k, _)| !state.unapplied.contains_key(*k))
    {
        return Err(Violation::OrderLine {
            number: format!("customer {customer}").into(),
            line: 0,
            problem: format!("no unapplied credit, but {carried} still carried for it"),
        });
    }
    for code in state.entities.keys() {
        let sum: Decimal = state
            .unapplied_base
            .iter()
            .filter(|((e, _), _)| e == code)
            .map(|(_, v)| *v)
            .sum();
        let gl = state
            .posting_rules
            .get(&(code.clone(), super::master::PostingKey::UnappliedCash))
            .and_then(|a| state.ledger.balances.get(&(code.clone(), a.clone())))
            .copied()
            .unwrap_or_default();
        if sum != -gl {
            return Err(Violation::OrderLine {
                number: format!("entity {code}").into(),
                line: 0,
                problem: format!(
                    "unapplied credits carried at {sum} but the unapplied cash account holds {}",
                    -gl
                ),
            });
        }
    }
    if let Some(((_, party), open)) = owed.into_iter().find(|(_, v)| !v.is_zero()) {
        return Err(Violation::OrderLine {
            number: format!("customer {party}").into(),
            line: 0,
            problem: format!("open invoices {open} but no AR subledger"),
        });
    }
    // The indexes over open documents agree with the documents (checked
    // by membership and counts, without building a second index).
    check_indexes(state)?;
    check_bank(state)?;
    check_statements(state)?;
    // The open exceptions are exactly what the documents' holds imply.
    super::exceptions::check(state).map_err(|problem| Violation::Exceptions { problem })?;
    // Customers' overrides stay within their channel policy's limits.
    super::channel::check(state).map_err(|problem| Violation::ChannelPolicy { problem })?;
    Ok(Verified {
        master_records: state.master_count(),
        bins_with_stock: state.bin_stock.len(),
        stock_positions: state.stock.len(),
        cost_pools: state.costs.len(),
        accounts_with_balance: state.ledger.balances.len(),
        subledger_parties: state.ledger.subledger.len(),
        entities: state.entities.len(),
        orders: state.orders.len(),
    })
}

/// Purchasing: PO lines against their receipts and invoices; GRNI =
/// received not invoiced at the receipt values; AP per supplier = what
/// its posted invoices still owe.
fn check_purchasing(state: &State) -> Result<(), Violation> {
    use super::master::PostingKey;
    use super::purchasing::ApStatus;
    let bad = |number: &str, line: u32, problem: String| Violation::OrderLine {
        number: number.to_code(),
        line,
        problem,
    };
    let mut received: HashMap<(&Code, u32), (Decimal, Decimal)> = HashMap::default();
    for r in state.goods_receipts.values() {
        for l in &r.lines {
            let e = received.entry((&r.po, l.po_line)).or_default();
            e.0 += l.qty;
            e.1 += l.value;
        }
    }
    let mut grni: HashMap<&Code, Decimal> = HashMap::default();
    for po in state.purchase_orders.values() {
        for l in &po.lines {
            let (q, v) = received.remove(&(&po.number, l.line)).unwrap_or_default();
            if q != l.received || v != l.received_value {
                return Err(bad(
                    &po.number,
                    l.line,
                    format!(
                        "received {} ({}) but its receipts say {q} ({v})",
                        l.received, l.received_value
                    ),
                ));
            }
            let decimals = state.items.get(&l.sku).map_or(0, |i| i.qty_decimals);
            let max = l.max_receipt(decimals);
            if l.received > max || l.invoiced < Decimal::ZERO || l.invoiced > l.received {
                return Err(bad(
                    &po.number,
                    l.line,
                    format!(
                        "ordered {} received {} invoiced {} out of order",
                        l.qty, l.received, l.invoiced
                    ),
                ));
            }
            let all_in = l.invoiced == l.received;
            if l.relieved < Decimal::ZERO
                || l.relieved > l.received_value
                || (all_in && l.relieved != l.received_value)
            {
                return Err(bad(
                    &po.number,
                    l.line,
                    format!(
                        "GRNI relieved {} of {} received value with {} of {} invoiced",
                        l.relieved, l.received_value, l.invoiced, l.received
                    ),
                ));
            }
            *grni.entry(&po.entity).or_default() += l.received_value - l.relieved;
        }
    }
    if let Some(((po, line), _)) = received.into_iter().next() {
        return Err(bad(
            po,
            line,
            "a receipt of a PO line that does not exist".into(),
        ));
    }
    let mut owed: HashMap<(&Code, &Code), Decimal> = HashMap::default();
    // Each (supplier, reference) indexed once, and live on at most one
    // invoice: a rejected invoice's reference may be entered again.
    let mut refs: HashMap<(&Code, &str), bool> = HashMap::default();
    for inv in state.supplier_invoices.values() {
        if !state
            .index
            .supplier_refs
            .contains(&(inv.supplier.clone(), inv.reference.clone()))
        {
            return Err(bad(&inv.number, 0, "its reference is not indexed".into()));
        }
        let live = inv.status != ApStatus::Rejected;
        let seen = refs
            .entry((&inv.supplier, inv.reference.as_str()))
            .or_insert(false);
        if *seen && live {
            return Err(bad(
                &inv.number,
                0,
                format!(
                    "reference {} of {} is on another invoice that is not rejected",
                    inv.reference, inv.supplier
                ),
            ));
        }
        *seen |= live;
        let posted = matches!(inv.status, ApStatus::Open | ApStatus::Paid);
        let open_ok = if posted {
            inv.open == inv.total - inv.paid - inv.discounted
                && inv.open >= Decimal::ZERO
                && (inv.status == ApStatus::Paid) == inv.open.is_zero()
                && inv.open.is_zero() == inv.base_open.is_zero()
        } else {
            inv.open == inv.total && inv.paid.is_zero()
        };
        if !open_ok {
            return Err(bad(
                &inv.number,
                0,
                format!(
                    "{:?}: open {} of {} with {} paid and {} discount",
                    inv.status, inv.open, inv.total, inv.paid, inv.discounted
                ),
            ));
        }
        if posted {
            *owed.entry((&inv.entity, &inv.supplier)).or_default() += inv.base_open;
        }
    }
    // A supplier's debit balance (what it owes us back, from debit notes
    // less refunds) sits in AP as a debit: the subledger is that less what
    // its open invoices owe. The balance is never negative, is carried in
    // the base currency at what the notes debited, and at its own amount
    // for a supplier billing in the base currency.
    let mut debit: HashMap<(&Code, &Code), Decimal> = HashMap::default();
    for n in state.supplier_debit_notes.values() {
        *debit.entry((&n.entity, &n.supplier)).or_default() += n.amount;
    }
    for r in state.supplier_refunds.values() {
        *debit.entry((&r.entity, &r.supplier)).or_default() -= r.amount;
    }
    for ((e, sup), v) in &debit {
        let held = state
            .supplier_debit
            .get(&((*e).clone(), (*sup).clone()))
            .copied()
            .unwrap_or_default();
        let carried = state
            .supplier_debit_base
            .get(&((*e).clone(), (*sup).clone()))
            .copied()
            .unwrap_or_default();
        let same_currency = state
            .suppliers
            .get(*sup)
            .zip(state.entities.get(*e))
            .is_some_and(|(s, en)| s.currency == en.base_currency);
        if *v < Decimal::ZERO
            || held != *v
            || carried < Decimal::ZERO
            || v.is_zero() != carried.is_zero()
            || (same_currency && carried != *v)
        {
            return Err(bad(
                &format!("supplier {sup}"),
                0,
                format!(
                    "debit notes less refunds {v}, but a debit balance of {held} carried at {carried}"
                ),
            ));
        }
        *owed.entry((*e, *sup)).or_default() -= carried;
    }
    if state
        .supplier_debit
        .keys()
        .chain(state.supplier_debit_base.keys())
        .any(|(e, s)| !debit.contains_key(&(e, s)))
    {
        return Err(bad(
            "supplier debit balances",
            0,
            "a debit balance without debit notes".into(),
        ));
    }
    use super::purchasing::PoStatus;
    for (index, name, wanted) in [
        (
            &state.index.open_pos,
            "open purchase orders",
            &[PoStatus::Open][..],
        ),
        (
            &state.index.unsent_pos,
            "draft and unapproved purchase orders",
            &[PoStatus::Draft, PoStatus::AwaitingApproval][..],
        ),
    ] {
        let n = state
            .purchase_orders
            .values()
            .filter(|p| wanted.contains(&p.status))
            .count();
        if n != index.len()
            || index.iter().any(|n| {
                state
                    .purchase_orders
                    .get(n)
                    .is_none_or(|p| !wanted.contains(&p.status))
            })
        {
            return Err(bad("index", 0, format!("{name} disagree")));
        }
    }
    if refs.len() != state.index.supplier_refs.len() {
        return Err(bad(
            "index",
            0,
            "supplier invoice references disagree".into(),
        ));
    }
    for ((entity, control, party), v) in &state.ledger.subledger {
        if *control != Control::Payables {
            continue;
        }
        let open = owed.remove(&(entity, party)).unwrap_or_default();
        if open != -*v {
            return Err(bad(
                &format!("supplier {party}"),
                0,
                format!("AP subledger {} but open invoices {open}", -*v),
            ));
        }
    }
    if let Some(((_, party), open)) = owed.into_iter().find(|(_, v)| !v.is_zero()) {
        return Err(bad(
            &format!("supplier {party}"),
            0,
            format!("open invoices {open} but no AP subledger"),
        ));
    }
    for code in state.entities.keys() {
        let account = state.posting_rules.get(&(code.clone(), PostingKey::Grni));
        let gl = account
            .and_then(|a| state.ledger.balances.get(&(code.clone(), a.clone())))
            .copied()
            .unwrap_or_default();
        let want = grni.get(code).copied().unwrap_or_default();
        if -gl != want {
            return Err(bad(
                &format!("entity {code}"),
                0,
                format!("GRNI account {} but received not invoiced {want}", -gl),
            ));
        }
    }
    Ok(())
}

/// Bank reconciliation: every cleared statement line is explained by its
/// book items and write-off to the cent, each book item is cleared by at
/// most the one line that names it, and the open indexes list exactly the
/// open lines and items.
/// Each customer's statement comes to their balance due: the lines a
/// statement lists (invoices and debit memos, payments with their
/// discounts and write-offs, credit memos, disputes written off, credit
/// refunded) and what archived invoices and receipts brought forward sum
/// to the open invoices less the credit on account, in the customer's
/// currency. Archiving a receipt that left credit on account must not
/// change a customer's balance.
fn check_statements(state: &State) -> Result<(), Violation> {
    let mut lines: BTreeMap<&Code, Decimal> = BTreeMap::new();
    let amounts = state
        .invoices
        .values_sorted()
        .into_iter()
        .map(|i| (&i.customer, i.total))
        .chain(
            state
                .receipts
                .values_sorted()
                .into_iter()
                .map(|r| (&r.customer, r.statement_net())),
        )
        .chain(state.refunds.values().map(|r| (&r.customer, r.amount)))
        .chain(
            state
                .dispute_resolutions
                .values()
                .map(|d| (&d.customer, -d.written_off)),
        )
        .chain(state.credit_memos.values().map(|m| (&m.customer, -m.total)))
        .chain(state.archived_statement.iter().map(|(c, (_, v))| (c, *v)));
    for (c, v) in amounts {
        *lines.entry(c).or_default() += v;
    }
    let mut due: BTreeMap<&Code, Decimal> = BTreeMap::new();
    for i in state.invoices.values_sorted() {
        *due.entry(&i.customer).or_default() += i.open;
    }
    for ((_, c), v) in &state.unapplied {
        *due.entry(c).or_default() -= *v;
    }
    for c in lines.keys().chain(due.keys()) {
        let statement = lines.get(c).copied().unwrap_or_default();
        let owed = due.get(c).copied().unwrap_or_default();
        if statement != owed {
            return Err(Violation::Statement {
                customer: (*c).clone(),
                statement,
                due: owed,
            });
        }
    }
    Ok(())
}

fn check_bank(state: &State) -> Result<(), Violation> {
    use super::bank::Cleared;
    let bad = |id: &str, problem: String| Violation::OrderLine {
        number: format!("bank {id}").into(),
        line: 0,
        problem,
    };
    let mut claimed: BTreeMap<&str, &str> = BTreeMap::new();
    let mut open_lines = 0usize;
    for (id, l) in &state.bank_lines {
        let listed = state.index.unmatched_bank_lines.contains(id);
        match &l.cleared {
            None => {
                open_lines += 1;
                if !listed {
                    return Err(bad(id, "is open but not in the unmatched index".into()));
                }
            }
            Some(c) => {
                if listed {
                    return Err(bad(id, "is cleared but in the unmatched index".into()));
                }
                if let Cleared::Matched {
                    items, write_off, ..
                } = c
                {
                    let mut sum = *write_off;
                    for i in items {
                        let it = state
                            .book_items
                            .get(i)
                            .ok_or_else(|| bad(id, format!("names unknown book item {i}")))?;
                        if it.cleared_by.as_deref() != Some(id.as_str()) {
                            return Err(bad(id, format!("names {i}, which it did not clear")));
                        }
                        if claimed.insert(i, id).is_some() {
                            return Err(bad(id, format!("{i} is cleared twice")));
                        }
                        sum += it.amount;
                    }
                    if sum != l.amount {
                        return Err(bad(
                            id,
                            format!("is {} but its items and write-off come to {sum}", l.amount),
                        ));
                    }
                }
            }
        }
    }
    if open_lines != state.index.unmatched_bank_lines.len() {
        return Err(bad(
            "lines",
            "the unmatched index lists lines that are not".into(),
        ));
    }
    let mut uncleared = 0usize;
    for (id, it) in &state.book_items {
        let listed = state
            .index
            .uncleared_book_items
            .get(&it.entity)
            .is_some_and(|s| s.contains(id));
        match &it.cleared_by {
            None => {
                uncleared += 1;
                if !listed {
                    return Err(bad(id, "is uncleared but not in the index".into()));
                }
            }
            Some(line) => {
                if listed || claimed.get(id.as_str()) != Some(&line.as_str()) {
                    return Err(bad(
                        id,
                        format!("says {line} cleared it, which does not name it"),
                    ));
                }
            }
        }
    }
    let indexed: usize = state
        .index
        .uncleared_book_items
        .values()
        .map(|s| {
            if s.is_empty() {
                usize::MAX / 2
            } else {
                s.len()
            }
        })
        .sum();
    if uncleared != indexed {
        return Err(bad(
            "items",
            "the uncleared index lists items that are not".into(),
        ));
    }
    Ok(())
}

fn check_indexes(state: &State) -> Result<(), Violation> {
    let bad = |what: &str| Violation::OrderLine {
        number: "index".into(),
        line: 0,
        problem: format!("the index of {what} disagrees with the documents"),
    };
    // Each order's history: its own records, ascending, none after the
    // state's last record, the first one placing it (`depot check`
    // proves the rest by replay).
    if state.order_history.len() != state.orders.len() {
        return Err(bad("order histories"));
    }
    for (number, seqs) in state.order_history.iter() {
        let ascending = seqs.windows(2).all(|w| w[0] < w[1]);
        let known = state.orders.contains_key(number);
        if !known || seqs.is_empty() || !ascending || seqs.last() > Some(&state.seq) {
            return Err(Violation::OrderLine {
                number: number.clone(),
                line: 0,
                problem: "its history disagrees with the log".into(),
            });
        }
    }
    // A short reason belongs to a pick line that came up short.
    for (list, line) in state.short_reasons.keys() {
        let short = state
            .picks
            .get(list)
            .and_then(|p| p.lines.iter().find(|l| l.line == *line))
            .is_some_and(|l| l.short > Decimal::ZERO);
        if !short {
            return Err(bad("short reasons"));
        }
    }
    // A position kept from pickers waits for an open count of it, which
    // settling releases it.
    for k in state.pick_blocked.iter() {
        let counted = state
            .index
            .open_counts
            .iter()
            .filter_map(|n| state.counts.get(n))
            .any(|c| {
                c.warehouse == k.warehouse && c.bin == k.bin && c.sku == k.sku && c.lot == k.lot
            });
        if !counted {
            return Err(Violation::OrderLine {
                number: format!("bin {}/{} {}", k.warehouse, k.bin, k.sku).into(),
                line: 0,
                problem: "is kept from picking with no open count of it".into(),
            });
        }
    }
    let idx = &state.index;
    let member = |m: &Map<Code, SmallSet<Code>>, owner: &str, doc: &str| {
        m.get(&owner.to_code())
            .is_some_and(|set| set.contains(&doc.to_code()))
    };
    let size = |m: &Map<Code, SmallSet<Code>>| -> usize {
        m.values()
            .map(|s| {
                if s.is_empty() {
                    usize::MAX / 2
                } else {
                    s.len()
                }
            })
            .sum()
    };
    let (mut open_picks, mut by_order) = (0usize, 0usize);
    for p in state.picks.values_sorted() {
        let open = p.status == super::warehouse::PickStatus::Open;
        if open != idx.open_picks.contains(&p.number) {
            return Err(bad("open pick lists"));
        }
        open_picks += usize::from(open);
        let listed = idx
            .picks_by_order
            .get(&p.order)
            .is_some_and(|v| v.contains(&p.number));
        if !listed {
            return Err(bad("pick lists by order"));
        }
        by_order += 1;
    }
    if open_picks != idx.open_picks.len()
        || by_order != idx.picks_by_order.values().map(Vec::len).sum::<usize>()
    {
        return Err(bad("pick lists"));
    }
    if idx.promised != super::warehouse::promised_by_open_lists(state) {
        return Err(bad("what open pick lines promise per bin"));
    }
    if idx.contracts != super::state::Indexes::contracts_of(state) {
        return Err(bad("contract prices by customer and item"));
    }
    if idx.item_kinds != super::state::Indexes::item_kinds_of(state) {
        return Err(bad("items by category and kind"));
    }
    for sh in state.shipments.values_sorted() {
        let listed = idx
            .shipments_by_order
            .get(&sh.order)
            .is_some_and(|v| v.contains(&sh.number));
        if !listed {
            return Err(bad("shipments by order"));
        }
    }
    if state.shipments.len() != idx.shipments_by_order.values().map(Vec::len).sum::<usize>() {
        return Err(bad("shipments by order"));
    }
    let mut applied = 0usize;
    for r in state.receipts.values_sorted() {
        let mut invoices: Vec<&Code> = r.applications.iter().map(|a| &a.invoice).collect();
        invoices.sort();
        invoices.dedup();
        for inv in invoices {
            let listed = idx
                .receipts_by_invoice
                .get(inv)
                .is_some_and(|v| v.contains(&r.number));
            if !listed {
                return Err(bad("receipts by invoice"));
            }
            applied += 1;
        }
    }
    if applied
        != idx
            .receipts_by_invoice
            .values()
            .map(Vec::len)
            .sum::<usize>()
    {
        return Err(bad("receipts by invoice"));
    }
    let mut n = 0usize;
    for o in state.orders.values_sorted() {
        let unshipped = o.lines.iter().any(|l| !l.cancelled && l.shipped < l.qty);
        let open = o.status == super::sales::OrderStatus::Open && unshipped;
        if open != member(&idx.open_orders, &o.customer, &o.number) {
            return Err(bad("open orders by customer"));
        }
        n += usize::from(open);
    }
    if n != size(&idx.open_orders) {
        return Err(bad("open orders by customer"));
    }
    n = 0;
    for sh in state.shipments.values_sorted() {
        let open = sh.invoice.is_none();
        if open != member(&idx.uninvoiced, &sh.customer, &sh.number) {
            return Err(bad("uninvoiced shipments by customer"));
        }
        n += usize::from(open);
    }
    if n != size(&idx.uninvoiced) {
        return Err(bad("uninvoiced shipments by customer"));
    }
    n = 0;
    for i in state.invoices.values_sorted() {
        let open = !i.open.is_zero();
        if open != member(&idx.open_invoices, &i.customer, &i.number) {
            return Err(bad("open invoices by customer"));
        }
        n += usize::from(open);
    }
    if n != size(&idx.open_invoices) {
        return Err(bad("open invoices by customer"));
    }
    n = 0;
    for i in state.supplier_invoices.values() {
        let open = i.status == super::purchasing::ApStatus::Open && !i.open.is_zero();
        if open != member(&idx.open_supplier_invoices, &i.supplier, &i.number) {
            return Err(bad("open supplier invoices by supplier"));
        }
        n += usize::from(open);
    }
    if n != size(&idx.open_supplier_invoices) {
        return Err(bad("open supplier invoices by supplier"));
    }
    let open_counts = state.counts.values().filter(|c| c.status.is_open()).count();
    if open_counts != idx.open_counts.len()
        || idx
            .open_counts
            .iter()
            .any(|n| state.counts.get(n).is_none_or(|c| !c.status.is_open()))
    {
        return Err(bad("open counts"));
    }
    // Every indexed bin holds stock, and as many as hold stock are indexed.
    let holding: FxHashSet<&super::state::BinKey> = state.bin_stock.keys().collect();
    let mut indexed = 0usize;
    for ((wh, sku), set) in &idx.item_bins {
        if set.is_empty() {
            return Err(bad("bins by item"));
        }
        for k in set {
            if k.warehouse != wh || k.sku != sku || !holding.contains(k) {
                return Err(bad("bins by item"));
            }
        }
        indexed += set.len();
    }
    if indexed != state.bin_stock.len() {
        return Err(bad("bins by item"));
    }
    Ok(())
}

/// Checks what one record does to the state it is applied to: sequence,
/// balanced journals, open periods, known accounts. Then applies it.
#[derive(Default)]
pub struct Replayer {
    pub state: State,
    pub records: u64,
    pub events: u64,
    pub journals: u64,
    pub journal_lines: u64,
}

impl Replayer {
    pub fn from_state(state: State) -> Replayer {
        Replayer {
            state,
            ..Replayer::default()
        }
    }

    pub fn step(&mut self, env: &Envelope) -> Result<(), Violation> {
        let prev = self.state.seq;
        if env.seq != prev + 1 {
            return Err(Violation::Sequence { seq: env.seq, prev });
        }
        for event in env.events() {
            for j in journals(event) {
                if !j.is_balanced() {
                    return Err(Violation::JournalUnbalanced {
                        seq: env.seq,
                        doc: j.doc.clone(),
                        debit: j.debits(),
                        credit: j.credits(),
                    });
                }
                let here = self.state.period_of(&j.entity, j.date);
                let open =
                    here.is_some_and(|p| p.status == PeriodStatus::Open && p.code == j.period);
                // The one exception (docs/finance.md): a year's closing
                // entry, and its reversal by a reopen approval, post into
                // the year's last period, which is closed, and touch only
                // revenue, expense and retained-earnings lines.
                let closing =
                    matches!(event, Event::YearClosed { .. } | Event::YearReopened { .. })
                        && here.is_some_and(|p| {
                            p.status != PeriodStatus::Open
                                && p.code == j.period
                                && super::yearend::year_of(&p.code).is_some_and(|y| {
                                    super::yearend::periods_of(&self.state, &j.entity, y)
                                        .iter()
                                        .all(|x| x.status != PeriodStatus::Open)
                                        && super::yearend::periods_of(&self.state, &j.entity, y)
                                            .last()
                                            .is_some_and(|x| x.code == p.code)
                                })
                        })
                        && j.lines.iter().all(|l| {
                            l.key == PostingKey::RetainedEarnings
                                || matches!(
                                    self.state
                                        .accounts
                                        .get(&(j.entity.clone(), l.account.clone()))
                                        .map(|a| a.kind),
                                    Some(AccountKind::Revenue | AccountKind::Expense)
                                )
                        });
                if !open && !closing {
                    return Err(Violation::ClosedPeriod {
                        seq: env.seq,
                        doc: j.doc.clone(),
                        entity: j.entity.clone(),
                        period: j.period.clone(),
                    });
                }
                for l in &j.lines {
                    if !self
                        .state
                        .accounts
                        .contains_key(&(j.entity.clone(), l.account.clone()))
                    {
                        return Err(Violation::UnknownAccount {
                            seq: env.seq,
                            doc: j.doc.clone(),
                            entity: j.entity.clone(),
                            account: l.account.clone(),
                        });
                    }
                    // A control account takes only its own subledger's
                    // key (so manual lines never reach one).
                    let control = self
                        .state
                        .accounts
                        .get(&(j.entity.clone(), l.account.clone()))
                        .and_then(|a| a.control);
                    if control != l.key.control() {
                        return Err(Violation::KeyOnWrongAccount {
                            seq: env.seq,
                            doc: j.doc.clone(),
                            account: l.account.clone(),
                            key: l.key.as_str(),
                        });
                    }
                }
                self.journals += 1;
                self.journal_lines += j.lines.len() as u64;
            }
            // An archive carries the documents it takes out: they must be
            // the ones the replay built, and closed.
            if let Event::Archived(a) = event {
                super::archive::check_archive(&self.state, a).map_err(|(doc, problem)| {
                    Violation::Archive {
                        seq: env.seq,
                        doc,
                        problem,
                    }
                })?;
            }
            if let Event::BankArchived(b) = event {
                super::bank::check_archive(&self.state, b).map_err(|(doc, problem)| {
                    Violation::Archive {
                        seq: env.seq,
                        doc: doc.to_string(),
                        problem,
                    }
                })?;
            }
            self.events += 1;
        }
        apply(&mut self.state, env);
        self.records += 1;
        Ok(())
    }
}

/// Compare two states and name the first part that differs.
pub fn first_difference(a: &State, b: &State) -> Option<&'static str> {
    macro_rules! cmp {
        ($($f:ident),*) => {
            $( if a.$f != b.$f { return Some(stringify!($f)); } )*
        };
    }
    cmp!(
        seq,
        entities,
        accounts,
        posting_rules,
        periods,
        warehouses,
        bins,
        items,
        barcodes,
        customers,
        suppliers,
        price_lists,
        contracts,
        tax_codes,
        carriers,
        terms,
        fx_rates,
        operators,
        category_floors,
        changes,
        next_change_id,
        bin_stock,
        stock,
        costs,
        ledger,
        keys,
        replenishment,
        demand,
        lots,
        manual_journals,
        next_journal,
        unapplied,
        unapplied_base,
        revaluations,
        bank_lines,
        bank_statements,
        bank_reconciled,
        bank_archived_through,
        next_bank_line,
        book_items,
        next_book_item,
        issued,
        receipt_pools,
        pool_days,
        exceptions,
        open_exceptions,
        exception_routing,
        clock_notes,
        channel_policies,
        kpis,
        archived_orders,
        archived_invoices,
        archived_statement,
        archived_sales_by_customer,
        archived_sales_by_item,
        archived_through
    );
    if a != b {
        return Some("documents (orders, picks, invoices, POs, counts...)");
    }
    None
}

#[cfg(test)]
mod difference_tests {
    use super::first_difference;
    use crate::core::State;

    /// A replay that disagrees on the KPIs or the queue is named for what
    /// differs, not as "documents".
    #[test]
    fn a_difference_in_the_kpis_or_the_queue_is_named() {
        let a = State::default();
        assert_eq!(first_difference(&a, &a.clone()), None);
        let mut b = a.clone();
        b.kpis.disputed.insert("IN-000001".into());
        assert_eq!(first_difference(&a, &b), Some("kpis"));
        let mut c = a.clone();
        c.next_exception = 7;
        assert_eq!(
            first_difference(&a, &c),
            Some("documents (orders, picks, invoices, POs, counts...)")
        );
    }
}

#[cfg(test)]
mod pool_days_tests {
    use super::{check_state, Violation};
    use rust_decimal::Decimal;

    /// An item's pool as it stands must be what its movements by day sum
    /// to: a day's movement too many, or an item's days lost, is named.
    #[test]
    fn a_cost_pool_that_its_days_do_not_sum_to_is_named() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).expect("a date");
        let s = crate::core::testing::demo(today);
        let (key, days) = s
            .pool_days
            .iter()
            .next()
            .map(|(k, d)| (k.clone(), d.clone()))
            .expect("the demo's opening stock moved a pool");
        let mut more = days;
        more.add(today, Decimal::ONE, Decimal::new(1234, 2));
        let mut tampered = s.clone();
        tampered.pool_days.insert(key.clone(), more);
        assert!(matches!(
            check_state(&tampered),
            Err(Violation::DatedTotals { what, .. }) if what.contains(key.1.as_str())
        ));
        let mut lost = s.clone();
        lost.pool_days.remove(&key);
        assert!(matches!(
            check_state(&lost),
            Err(Violation::DatedTotals { .. })
        ));
    }
}
