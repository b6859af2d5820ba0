//! The supervisor's exception queue (issue 20): one model for every hold
//! and approval the core raises. An exception is never a second system:
//! `apply` raises and clears it from the same events that put the document
//! on hold or release it (`sync`), in the same log record, and `depot
//! check` proves that the open exceptions are exactly what the documents'
//! states imply (`expected_open`).
//!
//! The queue's own actions (approve, reject, reassign, comment, snooze)
//! are commands: approve and reject dispatch to the command that clears
//! the document (release the hold, approve the change, ...), so the same
//! checks and segregation of duties apply, and every action is in the log.

use super::auth::Role;
use super::command::{Command, CommandBody};
use super::event::{Change, Envelope, Event};
use super::master::RecordKind;
use super::rejection::Rejection;
use super::sales::{Hold, OrderStatus};
use super::state::State;
use super::types::Code;
use crate::core::types::ToCode;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Most characters of a comment, a reason or a snooze reason.
pub const TEXT_MAX: usize = 500;

/// What kind of exception: each is raised by one kind of hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// An order over the customer's credit limit (or past due).
    CreditHold,
    /// A manual price below the margin floor: the margin needs approving.
    PriceApproval,
    /// A pick line found short in its bin.
    ShortPick,
    /// A packed carton off its expected weight.
    CartonWeight,
    /// A supplier invoice that failed the three-way match, held.
    ThreeWayMatch,
    /// A purchase order above the entity's approval limit.
    PoApproval,
    /// A count variance above the adjustment limit (or a manual
    /// adjustment above it).
    CountVariance,
    /// A governed master-data change waiting for a second person.
    GovernedChange,
    /// A request to reopen a closed period.
    PeriodReopen,
    /// An invoice paid short and disputed: the difference is written off
    /// or reinstated as open receivable (`resolve_dispute`).
    ShortPayment,
    /// An order line not shipped in time for the customer's must-arrive
    /// date (past the carrier's cutoff of its last ship day): computed on
    /// the clock (`late_shipments`), never stored.
    LateShipment,
    /// A customer's credit on account (cash not applied) older than the
    /// entity's limit: computed on the clock (`unapplied_cash`).
    UnappliedCash,
    /// A master record breaking a data-quality rule (`quality`), until
    /// it is fixed.
    DataQuality,
    /// A backordered line whose promise date has passed: computed on the
    /// clock (`backorders_past_promise`), never stored.
    BackorderPastPromise,
}

impl ExceptionKind {
    pub const ALL: [ExceptionKind; 14] = [
        ExceptionKind::CreditHold,
        ExceptionKind::PriceApproval,
        ExceptionKind::ShortPick,
        ExceptionKind::CartonWeight,
        ExceptionKind::ThreeWayMatch,
        ExceptionKind::PoApproval,
        ExceptionKind::CountVariance,
        ExceptionKind::GovernedChange,
        ExceptionKind::PeriodReopen,
        ExceptionKind::ShortPayment,
        ExceptionKind::LateShipment,
        ExceptionKind::UnappliedCash,
        ExceptionKind::DataQuality,
        ExceptionKind::BackorderPastPromise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionKind::CreditHold => "credit_hold",
            ExceptionKind::PriceApproval => "price_approval",
            ExceptionKind::ShortPick => "short_pick",
            ExceptionKind::CartonWeight => "carton_weight",
            ExceptionKind::ThreeWayMatch => "three_way_match",
            ExceptionKind::PoApproval => "po_approval",
            ExceptionKind::CountVariance => "count_variance",
            ExceptionKind::GovernedChange => "governed_change",
            ExceptionKind::PeriodReopen => "period_reopen",
            ExceptionKind::ShortPayment => "short_payment",
            ExceptionKind::LateShipment => "late_shipment",
            ExceptionKind::UnappliedCash => "unapplied_cash",
            ExceptionKind::DataQuality => "data_quality",
            ExceptionKind::BackorderPastPromise => "backorder_past_promise",
        }
    }

    /// A short label for narrow screens.
    pub fn label(self) -> &'static str {
        match self {
            ExceptionKind::CreditHold => "credit",
            ExceptionKind::PriceApproval => "price",
            ExceptionKind::ShortPick => "short",
            ExceptionKind::CartonWeight => "weight",
            ExceptionKind::ThreeWayMatch => "3-way",
            ExceptionKind::PoApproval => "PO",
            ExceptionKind::CountVariance => "count",
            ExceptionKind::GovernedChange => "change",
            ExceptionKind::PeriodReopen => "reopen",
            ExceptionKind::ShortPayment => "dispute",
            ExceptionKind::LateShipment => "late",
            ExceptionKind::UnappliedCash => "cash",
            ExceptionKind::DataQuality => "data",
            ExceptionKind::BackorderPastPromise => "backorder",
        }
    }

    pub fn parse(s: &str) -> Option<ExceptionKind> {
        let s = s.trim();
        ExceptionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label().eq_ignore_ascii_case(s))
    }

    /// The role that owns a new exception of this kind (until reassigned).
    pub fn default_owner(self) -> Role {
        match self {
            ExceptionKind::CreditHold
            | ExceptionKind::PriceApproval
            | ExceptionKind::ShortPick
            | ExceptionKind::CartonWeight => Role::Supervisor,
            ExceptionKind::ThreeWayMatch
            | ExceptionKind::PoApproval
            | ExceptionKind::CountVariance
            | ExceptionKind::PeriodReopen => Role::Controller,
            ExceptionKind::GovernedChange => Role::Admin,
            ExceptionKind::ShortPayment | ExceptionKind::UnappliedCash => Role::ArClerk,
            ExceptionKind::LateShipment | ExceptionKind::BackorderPastPromise => Role::Supervisor,
            ExceptionKind::DataQuality => Role::DataSteward,
        }
    }

    /// Kinds that are true or not on a day (computed from the documents
    /// and the clock, never stored in the queue).
    pub fn clock_passed(self) -> bool {
        matches!(
            self,
            ExceptionKind::LateShipment
                | ExceptionKind::UnappliedCash
                | ExceptionKind::BackorderPastPromise
        )
    }

    /// Whether the kind has a reject action (the others are only approved,
    /// or cleared by fixing the document).
    pub fn can_reject(self) -> bool {
        !matches!(
            self,
            ExceptionKind::ShortPick
                | ExceptionKind::LateShipment
                | ExceptionKind::UnappliedCash
                | ExceptionKind::DataQuality
                | ExceptionKind::BackorderPastPromise
        )
    }
}

impl std::fmt::Display for ExceptionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The document an exception blocks: also its identity in the queue (one
/// open exception per blocked document and hold).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocked {
    Order {
        number: Code,
        hold: Hold,
    },
    PickLine {
        list: Code,
        line: u32,
    },
    Carton {
        list: Code,
        carton: u32,
    },
    SupplierInvoice {
        number: Code,
    },
    PurchaseOrder {
        number: Code,
    },
    Count {
        number: Code,
    },
    Change {
        id: u64,
    },
    /// A customer invoice with a disputed amount.
    Invoice {
        number: Code,
    },
    /// A master record breaking a data-quality rule: `key` is the item,
    /// customer or supplier code, or `LIST/SKU` for a price.
    DataQuality {
        rule: super::quality::QualityRule,
        key: Code,
    },
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocked::Order { number, .. } => write!(f, "order {number}"),
            Blocked::PickLine { list, line } => write!(f, "pick {list} line {line}"),
            Blocked::Carton { list, carton } => write!(f, "pick {list} carton {carton}"),
            Blocked::SupplierInvoice { number } => write!(f, "supplier invoice {number}"),
            Blocked::PurchaseOrder { number } => write!(f, "PO {number}"),
            Blocked::Count { number } => write!(f, "count {number}"),
            Blocked::Change { id } => write!(f, "change {id}"),
            Blocked::Invoice { number } => write!(f, "invoice {number}"),
            Blocked::DataQuality { rule, key } => {
                write!(f, "{} {key} ({})", rule.record(), rule.problem())
            }
        }
    }
}

/// Who owns an exception: a role, or a person once assigned.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Role(Role),
    Operator(Code),
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Owner::Role(r) => write!(f, "{r}"),
            Owner::Operator(o) => write!(f, "@{o}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// Where an exception stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionStatus {
    Open,
    /// Still open, out of the queue until `until` (a business date).
    Snoozed {
        until: NaiveDate,
        reason: String,
    },
    /// Cleared by the document: how (released, approved, cancelled, ...),
    /// by whom (the log record's operator) and when.
    Cleared {
        how: String,
        by: Code,
        at: DateTime<Utc>,
        seq: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub by: Code,
    pub at: DateTime<Utc>,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    pub id: u64,
    pub kind: ExceptionKind,
    pub blocked: Blocked,
    pub severity: Severity,
    /// When the hold was raised (the log record's time and number) and
    /// the business date it was raised on.
    pub raised_at: DateTime<Utc>,
    pub raised_seq: u64,
    pub date: NaiveDate,
    pub entity: Option<Code>,
    pub warehouse: Option<Code>,
    /// The customer or supplier concerned.
    pub party: Option<Code>,
    /// Who caused it (placed the order, entered the invoice, asked for the
    /// change): never the one who approves it.
    pub requested_by: Option<Code>,
    pub owner: Owner,
    /// The amount that matters (order value, invoice total, variance
    /// value, short quantity, kg off) and what it is in.
    pub amount: Decimal,
    pub unit: Code,
    pub summary: String,
    pub status: ExceptionStatus,
    pub comments: Vec<Comment>,
}

impl Exception {
    pub fn is_open(&self) -> bool {
        !matches!(self.status, ExceptionStatus::Cleared { .. })
    }

    /// Open and not snoozed past `today`.
    pub fn in_queue(&self, today: NaiveDate) -> bool {
        match &self.status {
            ExceptionStatus::Open => true,
            ExceptionStatus::Snoozed { until, .. } => *until <= today,
            ExceptionStatus::Cleared { .. } => false,
        }
    }

    /// Whole days open as of `now` (until cleared, if it was).
    pub fn age_days(&self, now: DateTime<Utc>) -> i64 {
        let end = match &self.status {
            ExceptionStatus::Cleared { at, .. } => *at,
            _ => now,
        };
        (end - self.raised_at).num_days().max(0)
    }
}

/// Days an exception of a kind may wait before it escalates (its service
/// level).
pub fn sla_days(kind: ExceptionKind) -> i64 {
    match kind {
        ExceptionKind::CreditHold
        | ExceptionKind::PriceApproval
        | ExceptionKind::ShortPick
        | ExceptionKind::CartonWeight
        | ExceptionKind::LateShipment
        | ExceptionKind::BackorderPastPromise => 1,
        ExceptionKind::PoApproval | ExceptionKind::PeriodReopen => 2,
        ExceptionKind::CountVariance | ExceptionKind::GovernedChange => 3,
        ExceptionKind::ThreeWayMatch | ExceptionKind::UnappliedCash => 5,
        ExceptionKind::ShortPayment | ExceptionKind::DataQuality => 7,
    }
}

/// How an exception kind is routed in an entity (or one of its
/// warehouses): the role that owns a new one, the days it may wait before
/// it escalates (its service level), and for the kinds computed on the
/// clock, the days the condition must have lasted before it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub owner: Role,
    pub sla_days: u32,
    pub after_days: u32,
}

/// Longest service level or threshold a routing rule may set, in days.
pub const ROUTE_DAYS_MAX: u32 = 365;

/// What every entity has until its routing is changed: today's owners
/// and service levels.
pub fn default_route(kind: ExceptionKind) -> Route {
    Route {
        owner: kind.default_owner(),
        sla_days: u32::try_from(sla_days(kind)).unwrap_or(1),
        after_days: match kind {
            ExceptionKind::UnappliedCash => UNAPPLIED_CASH_DAYS,
            _ => 0,
        },
    }
}

/// The routing of `kind` for a document of `entity` (and `warehouse`): the
/// warehouse's rule, else the entity's, else the default.
pub fn route(state: &State, kind: ExceptionKind, entity: &str, warehouse: Option<&str>) -> Route {
    let at = |w: Option<&str>| {
        state
            .exception_routing
            .get(&(entity.to_code(), w.map(ToCode::to_code), kind))
            .copied()
    };
    warehouse
        .and_then(|w| at(Some(w)))
        .or_else(|| at(None))
        .unwrap_or_else(|| default_route(kind))
}

/// The routing that applies to an exception.
/// The severity an exception has on `today`: while open, its amount's
/// severity raised a step for each service level its age has passed
/// (the queue sorts by this, the report prints it); once cleared, as
/// it was raised.
pub fn severity_on(state: &State, x: &Exception, today: NaiveDate) -> Severity {
    if !x.is_open() {
        return x.severity;
    }
    let age = (today - x.date).num_days().max(0);
    severity_at(x.severity, age, route_of(state, x).sla_days)
}

pub fn route_of(state: &State, x: &Exception) -> Route {
    match &x.entity {
        Some(e) => route(state, x.kind, e, x.warehouse.as_deref()),
        None => default_route(x.kind),
    }
}

/// Severity now: from the amount at raise, one level higher once the
/// exception is older than its service level and two once it is twice
/// as old (never past critical).
pub fn severity_at(base: Severity, age_days: i64, sla_days: u32) -> Severity {
    let sla = i64::from(sla_days.max(1));
    let steps = if age_days > 2 * sla {
        2
    } else if age_days > sla {
        1
    } else {
        0
    };
    let all = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    let i = all.iter().position(|s| *s == base).unwrap_or(0);
    all[(i + steps).min(all.len() - 1)]
}

/// A routing rule as asked: the entity and warehouse known (the warehouse
/// the entity's), the days within bounds. The threshold not given stays
/// what it is. Returns the warehouse and the route to set.
pub fn check_routing(
    state: &State,
    entity: &str,
    warehouse: Option<&str>,
    kind: ExceptionKind,
    owner: Role,
    sla_days: u32,
    after_days: Option<u32>,
) -> Result<(Option<Code>, Route), Rejection> {
    if !state.entities.contains_key(&entity.to_code()) {
        return Err(Rejection::NotFound {
            kind: RecordKind::Entity,
            key: entity.chars().take(40).collect(),
        });
    }
    if let Some(w) = warehouse {
        let wh = state
            .warehouses
            .get(&w.to_code())
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::Warehouse,
                key: w.chars().take(40).collect(),
            })?;
        if wh.entity != entity {
            let of = format!("a warehouse of {entity}");
            return Err(Rejection::out_of_range("warehouse", w, of.clone(), of));
        }
    }
    let days = |field: &str, v: u32, min: u32| {
        if v < min || v > ROUTE_DAYS_MAX {
            return Err(Rejection::out_of_range(field, v, min, ROUTE_DAYS_MAX));
        }
        Ok(())
    };
    days("sla_days", sla_days, 1)?;
    let after = match after_days {
        Some(a) => {
            days("after_days", a, 0)?;
            a
        }
        None => route(state, kind, entity, warehouse).after_days,
    };
    Ok((
        warehouse.map(Code::from),
        Route {
            owner,
            sla_days,
            after_days: after,
        },
    ))
}

/// The role an exception escalates to from its owner role.
pub fn next_role(role: Role) -> Option<Role> {
    match role {
        Role::Admin => None,
        Role::Supervisor | Role::Controller => Some(Role::Admin),
        _ => Some(Role::Supervisor),
    }
}

/// Escalate every exception in the queue older than its service level
/// (as of the command's time: the engine's clock) from its owner role to
/// the next one. Exceptions given to a person and snoozed ones stay.
pub fn escalate(state: &State, cmd: &Command) -> Result<Vec<Event>, Rejection> {
    let mut out = Vec::new();
    for id in state.open_exceptions.values() {
        let Some(x) = state.exceptions.get(id) else {
            continue;
        };
        let today = match (&x.warehouse, &x.entity) {
            (Some(w), _) => cmd.warehouse_date(state, w),
            (None, Some(e)) => cmd.entity_date(state, e),
            (None, None) => cmd.date(),
        };
        if !x.in_queue(today) || x.age_days(cmd.time) <= i64::from(route_of(state, x).sla_days) {
            continue;
        }
        if let Owner::Role(r) = &x.owner {
            if let Some(next) = next_role(*r) {
                out.push(Event::ExceptionReassigned {
                    id: x.id,
                    owner: Owner::Role(next),
                    by: cmd.operator.clone(),
                });
            }
        }
    }
    if out.is_empty() {
        return Err(Rejection::NoChange);
    }
    Ok(out)
}

/// What the document's state says about an exception that should be open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    pub kind: ExceptionKind,
    pub entity: Option<Code>,
    pub warehouse: Option<Code>,
    pub party: Option<Code>,
    pub requested_by: Option<Code>,
    pub amount: Decimal,
    pub unit: Code,
    pub summary: String,
}

/// Severity from the kind and the amount that matters.
pub fn severity(kind: ExceptionKind, amount: Decimal) -> Severity {
    let money = |a: Decimal| {
        if a >= Decimal::from(50_000) {
            Severity::Critical
        } else if a >= Decimal::from(10_000) {
            Severity::High
        } else if a >= Decimal::from(1_000) {
            Severity::Medium
        } else {
            Severity::Low
        }
    };
    match kind {
        ExceptionKind::PeriodReopen => Severity::High,
        ExceptionKind::DataQuality => Severity::Low,
        ExceptionKind::GovernedChange => Severity::Medium,
        // A carton on hold stops a shipment at the dock.
        ExceptionKind::CartonWeight => Severity::High,
        ExceptionKind::ShortPick => Severity::Medium,
        ExceptionKind::CreditHold | ExceptionKind::PriceApproval => {
            money(amount).max(Severity::Medium)
        }
        ExceptionKind::ThreeWayMatch
        | ExceptionKind::PoApproval
        | ExceptionKind::CountVariance
        | ExceptionKind::ShortPayment
        | ExceptionKind::UnappliedCash => money(amount.abs()),
        // A customer waits: never less than medium.
        ExceptionKind::LateShipment | ExceptionKind::BackorderPastPromise => {
            money(amount).max(Severity::Medium)
        }
    }
}

/// Is `blocked` on hold by its document's state now, and with what facts?
/// The one definition both `apply` and the invariant use.
pub fn implied(state: &State, blocked: &Blocked) -> Option<Facts> {
    match blocked {
        Blocked::Order { number, hold } => {
            let o = state.orders.get(number)?;
            if o.status != OrderStatus::Held || !o.holds.contains(hold) {
                return None;
            }
            let kind = match hold {
                Hold::Credit => ExceptionKind::CreditHold,
                Hold::Price => ExceptionKind::PriceApproval,
            };
            let customer = state.customers.get(&o.customer);
            // A credit hold is for the order with its tax, as the check
            // counted it; a price approval for its goods.
            let value = match (hold, customer) {
                (Hold::Credit, Some(c)) => super::sales::credit_value(state, c, o),
                _ => o.value(),
            };
            let summary = match hold {
                Hold::Credit => {
                    let (limit, exposure) = customer
                        .map(|c| (c.credit_limit, super::sales::exposure(state, c)))
                        .unwrap_or_default();
                    format!(
                        "{} {} {value}: with it, exposure {} over the limit {limit}",
                        o.customer,
                        o.currency,
                        exposure + value
                    )
                }
                Hold::Price => {
                    // Each manual line with its price and the floor it is
                    // under (the floor as the cost stands now).
                    let manual = o
                        .lines
                        .iter()
                        .filter(|l| matches!(l.rule, super::sales::PriceRule::Manual { .. }))
                        .map(|l| {
                            let floor = state.items.get(&l.sku).and_then(|i| {
                                super::sales::floor_price(state, &o.entity, &o.currency, i, o.date)
                            });
                            match floor {
                                Some(f) if l.price < f => {
                                    format!(
                                        "{} at {} (floor {})",
                                        l.sku,
                                        l.price,
                                        f.round_dp_with_strategy(
                                            2,
                                            rust_decimal::RoundingStrategy::AwayFromZero
                                        )
                                    )
                                }
                                _ => l.sku.to_string(),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!("{} below the margin floor: {manual}", o.customer)
                }
            };
            Some(Facts {
                kind,
                entity: Some(o.entity.clone()),
                warehouse: o.lines.first().map(|l| l.warehouse.clone()),
                party: Some(o.customer.clone()),
                requested_by: Some(o.placed_by.clone()),
                amount: value,
                unit: o.currency.0.clone(),
                summary,
            })
        }
        Blocked::PickLine { list, line } => {
            // Open until acknowledged, shipped or not: a list is often
            // shipped minutes after its short, and the supervisor who
            // never saw it would never know the bin came up short. It
            // goes with the list when that is archived (an open one keeps
            // it from the archive).
            let p = state.picks.get(list)?;
            let l = p.lines.iter().find(|l| l.line == *line)?;
            let acked = state
                .short_acknowledged
                .get(&(list.clone(), *line))
                .copied()
                .unwrap_or_default();
            if l.short <= acked {
                return None;
            }
            let reason = state
                .short_reasons
                .get(&(list.clone(), *line))
                .map(|r| format!(" ({r:?})"))
                .unwrap_or_default();
            Some(Facts {
                kind: ExceptionKind::ShortPick,
                entity: state.warehouse_entity(&p.warehouse).cloned(),
                warehouse: Some(p.warehouse.clone()),
                party: state.orders.get(&p.order).map(|o| o.customer.clone()),
                requested_by: None,
                amount: l.short - acked,
                unit: "units".into(),
                summary: format!(
                    "{} short {} in bin {} for order {}{reason}",
                    l.sku,
                    l.short - acked,
                    l.bin,
                    p.order
                ),
            })
        }
        Blocked::Carton { list, carton } => {
            let p = state.picks.get(list)?;
            let c = p.cartons.iter().find(|c| c.number == *carton)?;
            if !c.held {
                return None;
            }
            Some(Facts {
                kind: ExceptionKind::CartonWeight,
                entity: state.warehouse_entity(&p.warehouse).cloned(),
                warehouse: Some(p.warehouse.clone()),
                party: state.orders.get(&p.order).map(|o| o.customer.clone()),
                requested_by: Some(c.packed_by.clone()),
                amount: c.weight - c.expected,
                unit: "kg".into(),
                summary: format!(
                    "carton {carton} weighs {} kg, {} kg expected (order {})",
                    c.weight, c.expected, p.order
                ),
            })
        }
        Blocked::SupplierInvoice { number } => {
            let i = state.supplier_invoices.get(number)?;
            if i.status != super::purchasing::ApStatus::Held {
                return None;
            }
            Some(Facts {
                kind: ExceptionKind::ThreeWayMatch,
                entity: Some(i.entity.clone()),
                warehouse: None,
                party: Some(i.supplier.clone()),
                requested_by: Some(i.entered_by.clone()),
                amount: i.total,
                unit: i.currency.0.clone(),
                summary: format!(
                    "{} {}: {}",
                    i.supplier,
                    i.reference,
                    i.problems.first().cloned().unwrap_or_default()
                ),
            })
        }
        Blocked::PurchaseOrder { number } => {
            let po = state.purchase_orders.get(number)?;
            if po.status != super::purchasing::PoStatus::AwaitingApproval {
                return None;
            }
            Some(Facts {
                kind: ExceptionKind::PoApproval,
                entity: Some(po.entity.clone()),
                warehouse: Some(po.warehouse.clone()),
                party: Some(po.supplier.clone()),
                requested_by: Some(po.buyer.clone()),
                amount: po.base_total,
                unit: state
                    .entities
                    .get(&po.entity)
                    .map(|e| e.base_currency.to_string())
                    .unwrap_or_default()
                    .into(),
                summary: format!(
                    "{} {} {} above the approval limit",
                    po.supplier, po.currency, po.total
                ),
            })
        }
        Blocked::Count { number } => {
            let c = state.counts.get(number)?;
            if c.status != super::counts::CountStatus::AwaitingApproval {
                return None;
            }
            let by = c
                .second
                .as_ref()
                .or(c.first.as_ref())
                .map(|(_, b)| b.clone());
            Some(Facts {
                kind: ExceptionKind::CountVariance,
                entity: state.warehouse_entity(&c.warehouse).cloned(),
                warehouse: Some(c.warehouse.clone()),
                party: None,
                requested_by: by,
                amount: c.value,
                unit: state
                    .warehouse_entity(&c.warehouse)
                    .and_then(|e| state.entities.get(e))
                    .map(|e| e.base_currency.to_string())
                    .unwrap_or_default()
                    .into(),
                summary: format!(
                    "{} in {}: variance {} (book {})",
                    c.sku, c.bin, c.variance, c.book
                ),
            })
        }
        Blocked::Invoice { number } => {
            let i = state.invoices.get(number)?;
            if i.disputed <= Decimal::ZERO {
                return None;
            }
            Some(Facts {
                kind: ExceptionKind::ShortPayment,
                entity: Some(i.entity.clone()),
                warehouse: None,
                party: Some(i.customer.clone()),
                // The customer's claim, recorded by whoever took the
                // receipt: somebody else writes it off.
                requested_by: state.dispute_by.get(number).cloned(),
                amount: i.disputed,
                unit: i.currency.0.clone(),
                summary: format!(
                    "{} disputes {} of invoice {} (open {}, due {})",
                    i.customer, i.disputed, i.number, i.open, i.due
                ),
            })
        }
        Blocked::Change { id } => {
            let r = state.changes.get(id)?;
            let (kind, entity) = match &r.change {
                Change::ReopenPeriod { entity, .. } => {
                    (ExceptionKind::PeriodReopen, Some(entity.clone()))
                }
                Change::PostingRule { entity, .. } | Change::ExceptionRouting { entity, .. } => {
                    (ExceptionKind::GovernedChange, Some(entity.clone()))
                }
                Change::Record(super::master::Record::Customer(c)) => {
                    (ExceptionKind::GovernedChange, Some(c.entity.clone()))
                }
                // Routed to the owner of governed changes in the policy's
                // entity.
                Change::ChannelPolicy(p) => (ExceptionKind::GovernedChange, Some(p.entity.clone())),
                _ => (ExceptionKind::GovernedChange, None),
            };
            let amount = match &r.change {
                Change::Record(super::master::Record::Customer(c)) => c.credit_limit,
                _ => Decimal::ZERO,
            };
            let what = match &r.change {
                Change::ReopenPeriod { reason, .. } => format!(": {reason}"),
                _ if r.fields.is_empty() => String::new(),
                _ => format!(": {}", r.fields.join(", ")),
            };
            Some(Facts {
                kind,
                entity,
                warehouse: None,
                party: None,
                requested_by: Some(r.requested_by.clone()),
                amount,
                unit: String::new().into(),
                summary: format!("{}{what}", r.change.subject()),
            })
        }
        Blocked::DataQuality { rule, key } => super::quality::implied(state, *rule, key),
    }
}

/// The documents an (applied) event may have put on hold or released.
/// Every event that changes a hold is named here; the invariant catches
/// one forgotten.
/// `pools`: the (entity, sku) cost pools the event moves (`pool_keys`).
pub fn touched(state: &State, event: &Event, pools: &[(Code, Code)]) -> Vec<Blocked> {
    let mut out = touched_documents(state, event);
    out.extend(super::quality::touched(state, event, pools));
    out
}

fn touched_documents(state: &State, event: &Event) -> Vec<Blocked> {
    let order = |n: &Code| {
        vec![
            Blocked::Order {
                number: n.clone(),
                hold: Hold::Credit,
            },
            Blocked::Order {
                number: n.clone(),
                hold: Hold::Price,
            },
        ]
    };
    // Everything of a pick list that may hold it (lines and cartons).
    let list_all = |list: &Code| -> Vec<Blocked> {
        let Some(p) = state.picks.get(list) else {
            return Vec::new();
        };
        let mut out: Vec<Blocked> = p
            .lines
            .iter()
            .map(|l| Blocked::PickLine {
                list: list.clone(),
                line: l.line,
            })
            .collect();
        out.extend(p.cartons.iter().map(|c| Blocked::Carton {
            list: list.clone(),
            carton: c.number,
        }));
        out
    };
    match event {
        Event::OrderPlaced(o) => order(&o.number),
        Event::QuoteConfirmed { number, .. }
        | Event::HoldReleased { number, .. }
        | Event::OrderConfirmed { number }
        | Event::OrderCancelled { number, .. }
        | Event::LineChanged { number, .. }
        | Event::LinesAdded { number, .. } => order(number),
        Event::PickShort { list, line, .. } => vec![Blocked::PickLine {
            list: list.clone(),
            line: *line,
        }],
        Event::Shipped { shipment, .. } => list_all(&shipment.pick_list),
        Event::CartonPacked { list, carton } => vec![Blocked::Carton {
            list: list.clone(),
            carton: carton.number,
        }],
        Event::CartonReleased { list, carton, .. } | Event::CartonUnpacked { list, carton } => {
            vec![Blocked::Carton {
                list: list.clone(),
                carton: *carton,
            }]
        }
        Event::SupplierInvoiceEntered { invoice, .. } => vec![Blocked::SupplierInvoice {
            number: invoice.number.clone(),
        }],
        Event::SupplierInvoiceApproved { number, .. }
        | Event::SupplierInvoiceRejected { number, .. } => vec![Blocked::SupplierInvoice {
            number: number.clone(),
        }],
        Event::PurchaseOrderCreated(po) => vec![Blocked::PurchaseOrder {
            number: po.number.clone(),
        }],
        Event::PurchaseOrderApproved { number, .. }
        | Event::PurchaseOrderChanged { number, .. }
        | Event::PurchaseOrderCancelled { number, .. }
        | Event::PurchaseOrderClosed { number, .. }
        | Event::PurchaseOrderSubmitted { number, .. } => vec![Blocked::PurchaseOrder {
            number: number.clone(),
        }],
        Event::CountHeld { number, .. }
        | Event::CountSettled { number, .. }
        | Event::CountApproved { number, .. }
        | Event::CountRejected { number, .. } => vec![Blocked::Count {
            number: number.clone(),
        }],
        Event::StockAdjusted { count, .. } => vec![Blocked::Count {
            number: count.number.clone(),
        }],
        Event::ChangeRequested { id, .. }
        | Event::ChangeApproved { id, .. }
        | Event::ChangeRejected { id, .. } => vec![Blocked::Change { id: *id }],
        Event::ShortPickAcknowledged { list, line, .. } => vec![Blocked::PickLine {
            list: list.clone(),
            line: *line,
        }],
        Event::PaymentReceived { receipt, .. } => receipt
            .applications
            .iter()
            .map(|a| Blocked::Invoice {
                number: a.invoice.clone(),
            })
            .collect(),
        Event::CreditMemoIssued { memo, .. } => vec![Blocked::Invoice {
            number: memo.invoice.clone(),
        }],
        Event::DisputeResolved { resolution, .. } => vec![Blocked::Invoice {
            number: resolution.invoice.clone(),
        }],
        _ => Vec::new(),
    }
}

/// How an event clears an exception, for the queue's history.
fn how(event: &Event) -> String {
    match event {
        Event::HoldReleased { .. } => "released".into(),
        Event::OrderCancelled { reason, .. } => format!("order cancelled: {reason}"),
        Event::OrderConfirmed { .. } => "order confirmed".into(),
        Event::Shipped { .. } => "shipped".into(),
        Event::CartonReleased { .. } => "weight accepted".into(),
        Event::CartonUnpacked { .. } => "carton unpacked to pack again".into(),
        Event::SupplierInvoiceApproved { .. } => "approved".into(),
        Event::SupplierInvoiceRejected { reason, .. } => format!("rejected: {reason}"),
        Event::PurchaseOrderApproved { .. } => "approved".into(),
        Event::PurchaseOrderCancelled { reason, .. } => format!("cancelled: {reason}"),
        Event::PurchaseOrderClosed { reason, .. } => format!("closed: {reason}"),
        Event::CountApproved { .. } => "approved".into(),
        Event::CountRejected { reason, .. } => format!("rejected: {reason}"),
        Event::CountSettled { .. } => "settled".into(),
        Event::ChangeApproved { .. } => "approved".into(),
        Event::ChangeRejected { reason, .. } => format!("rejected: {reason}"),
        Event::ShortPickAcknowledged { .. } => "acknowledged".into(),
        Event::DisputeResolved { resolution, .. } => resolution.how(),
        Event::PaymentReceived { .. } => "paid".into(),
        Event::CreditMemoIssued { .. } => "credited".into(),
        Event::LineChanged { .. } | Event::LinesAdded { .. } => "order changed".into(),
        Event::MasterUpserted(_) | Event::ListPriceSet { .. } => "record fixed".into(),
        Event::DataQualityRulesSet { .. } => "data-quality rules changed".into(),
        other => format!("{other:?}")
            .split(['{', '(', ' '])
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

/// Raise or clear the exceptions of what `event` touched, from the
/// documents' state right after the event was applied.
/// `pools` as for [`touched`].
pub fn sync(state: &mut State, env: &Envelope, event: &Event, pools: &[(Code, Code)]) {
    let blocked = touched(state, event, pools);
    sync_blocked(state, env, event, blocked);
}

/// Raise or clear the exceptions of `blocked` as `event` left them.
pub fn sync_blocked(state: &mut State, env: &Envelope, event: &Event, blocked: Vec<Blocked>) {
    for blocked in blocked {
        let open = state.open_exceptions.get(&blocked).copied();
        match (implied(state, &blocked), open) {
            (Some(facts), None) => raise(state, env, blocked, facts),
            (Some(facts), Some(id)) => {
                // Still held: keep what matters current (a changed order).
                if let Some(x) = state.exceptions.get_mut(&id) {
                    if x.amount != facts.amount || x.summary != facts.summary {
                        x.amount = facts.amount;
                        x.summary = facts.summary;
                        x.severity = severity(x.kind, x.amount).max(x.severity);
                    }
                }
            }
            (None, Some(id)) => {
                state.open_exceptions.remove(&blocked);
                if let Some(x) = state.exceptions.get_mut(&id) {
                    x.status = ExceptionStatus::Cleared {
                        how: how(event),
                        by: env.operator.clone(),
                        at: env.time,
                        seq: env.seq,
                    };
                }
            }
            (None, None) => {}
        }
    }
}

fn raise(state: &mut State, env: &Envelope, blocked: Blocked, f: Facts) {
    state.next_exception += 1;
    let id = state.next_exception;
    let date = match (&f.warehouse, &f.entity) {
        (Some(w), _) => super::zone::warehouse_date(state, w, env.time),
        (None, Some(e)) => super::zone::entity_date(state, e, env.time),
        (None, None) => env.time.date_naive(),
    };
    // Who owns it: the routing in force when it is raised.
    let owner = f
        .entity
        .as_deref()
        .map(|e| route(state, f.kind, e, f.warehouse.as_deref()).owner)
        .unwrap_or_else(|| f.kind.default_owner());
    let x = Exception {
        id,
        kind: f.kind,
        blocked: blocked.clone(),
        severity: severity(f.kind, f.amount),
        raised_at: env.time,
        raised_seq: env.seq,
        date,
        entity: f.entity,
        warehouse: f.warehouse,
        party: f.party,
        requested_by: f.requested_by,
        owner: Owner::Role(owner),
        amount: f.amount,
        unit: f.unit,
        summary: f.summary,
        status: ExceptionStatus::Open,
        comments: Vec::new(),
    };
    state.exceptions.insert(id, x);
    state.open_exceptions.insert(blocked, id);
}

/// Every document the state says is on hold now: what the open
/// exceptions must equal (the invariant; `depot check` runs it).
pub fn expected_open(state: &State) -> BTreeSet<Blocked> {
    let mut out = BTreeSet::new();
    let mut add = |b: Blocked| {
        if implied(state, &b).is_some() {
            out.insert(b);
        }
    };
    for o in state.orders.values_any_order() {
        if o.status == OrderStatus::Held {
            for h in &o.holds {
                add(Blocked::Order {
                    number: o.number.clone(),
                    hold: *h,
                });
            }
        }
    }
    for p in state.picks.values_any_order() {
        for l in p.lines.iter().filter(|l| l.short > Decimal::ZERO) {
            add(Blocked::PickLine {
                list: p.number.clone(),
                line: l.line,
            });
        }
    }
    for p in state.picks.values_any_order() {
        for c in p.cartons.iter().filter(|c| c.held) {
            add(Blocked::Carton {
                list: p.number.clone(),
                carton: c.number,
            });
        }
    }
    for i in state.supplier_invoices.values() {
        add(Blocked::SupplierInvoice {
            number: i.number.clone(),
        });
    }
    for po in &state.index.unsent_pos {
        add(Blocked::PurchaseOrder { number: po.clone() });
    }
    for c in &state.index.open_counts {
        add(Blocked::Count { number: c.clone() });
    }
    for id in state.changes.keys() {
        add(Blocked::Change { id: *id });
    }
    // A disputed amount is part of the open amount: only open invoices.
    for number in state.index.open_invoices.values().flatten() {
        add(Blocked::Invoice {
            number: number.clone(),
        });
    }
    out.extend(super::quality::expected(state));
    out
}

/// The open exceptions against the documents: `Err` names the first
/// orphan (open with no hold behind it) or missing one.
pub fn check(state: &State) -> Result<(), String> {
    let expected = expected_open(state);
    for (b, id) in &state.open_exceptions {
        let Some(x) = state.exceptions.get(id) else {
            return Err(format!("{b}: open exception {id} does not exist"));
        };
        if !x.is_open() || x.blocked != *b {
            return Err(format!(
                "{b}: exception {id} is cleared or blocks {}",
                x.blocked
            ));
        }
        if !expected.contains(b) {
            return Err(format!(
                "exception {id} ({}) is open but {b} is not on hold",
                x.kind
            ));
        }
        if implied(state, b).map(|f| f.kind) != Some(x.kind) {
            return Err(format!(
                "exception {id}: kind {} does not match {b}",
                x.kind
            ));
        }
    }
    if let Some(b) = expected
        .iter()
        .find(|b| !state.open_exceptions.contains_key(*b))
    {
        return Err(format!("{b} is on hold but has no open exception"));
    }
    let open = state.exceptions.values().filter(|x| x.is_open()).count();
    if open != state.open_exceptions.len() {
        return Err(format!(
            "{open} exceptions are open but the queue's index holds {}",
            state.open_exceptions.len()
        ));
    }
    Ok(())
}

fn not_found(id: u64) -> Rejection {
    Rejection::NotFound {
        kind: RecordKind::Exception,
        key: id.to_string(),
    }
}

fn open_exception(state: &State, id: u64) -> Result<&Exception, Rejection> {
    let x = state.exceptions.get(&id).ok_or_else(|| not_found(id))?;
    if !x.is_open() {
        return Err(Rejection::ExceptionAction {
            id,
            problem: "is cleared already".into(),
        });
    }
    Ok(x)
}

/// The person behind an operator code: operators created or given an
/// approving role at somebody's request count as that person for
/// segregation of duties (see `State::persons`).
pub fn person_of<'a>(state: &'a State, operator: &'a str) -> &'a str {
    state
        .persons
        .get(&operator.to_code())
        .map(Code::as_str)
        .unwrap_or(operator)
}

/// Whether `operator` (or another identity of the same person) raised
/// the exception.
pub fn own_request(state: &State, x: &Exception, operator: &str) -> bool {
    x.requested_by
        .as_deref()
        .is_some_and(|r| same_person(state, r, operator))
}

/// Whether two operator codes are one person (segregation of duties): the
/// direct approving commands (release a hold or a carton, approve a PO, a
/// supplier invoice or a count) ask this, as the exception queue does, so
/// a tied second identity cannot approve its own person's work by going
/// around the queue.
pub fn same_person(state: &State, a: &str, b: &str) -> bool {
    person_of(state, a) == person_of(state, b)
}

/// The command that approves (`true`) or rejects an exception's document.
pub fn clearing_command(x: &Exception, approve: bool, reason: &str) -> Option<CommandBody> {
    let reason = reason.to_string();
    Some(match (&x.blocked, approve) {
        (Blocked::Order { number, hold }, true) => CommandBody::ReleaseHold {
            number: number.clone(),
            hold: *hold,
        },
        (Blocked::Order { number, hold }, false) => CommandBody::RejectHold {
            number: number.clone(),
            hold: *hold,
            reason,
        },
        (Blocked::Carton { list, carton }, true) => CommandBody::ReleaseCarton {
            list: list.clone(),
            carton: *carton,
        },
        (Blocked::Carton { list, carton }, false) => CommandBody::UnpackCarton {
            list: list.clone(),
            carton: *carton,
        },
        (Blocked::SupplierInvoice { number }, true) => CommandBody::ApproveSupplierInvoice {
            number: number.clone(),
        },
        (Blocked::SupplierInvoice { number }, false) => CommandBody::RejectSupplierInvoice {
            number: number.clone(),
            reason,
        },
        (Blocked::PurchaseOrder { number }, true) => CommandBody::ApprovePurchaseOrder {
            number: number.clone(),
        },
        (Blocked::PurchaseOrder { number }, false) => CommandBody::CancelPurchaseOrder {
            number: number.clone(),
            reason,
        },
        (Blocked::Count { number }, true) => CommandBody::ApproveCount {
            count: number.clone(),
        },
        (Blocked::Count { number }, false) => CommandBody::RejectCount {
            count: number.clone(),
            reason,
        },
        (Blocked::Change { id }, true) => CommandBody::ApproveChange { id: *id },
        (Blocked::Change { id }, false) => CommandBody::RejectChange { id: *id, reason },
        (Blocked::Invoice { number }, approve) => CommandBody::ResolveDispute {
            invoice: number.clone(),
            action: if approve {
                super::cash::DisputeAction::WriteOff
            } else {
                super::cash::DisputeAction::Reinstate
            },
            amount: None,
            reason: if approve {
                "written off from the exception queue".into()
            } else {
                reason
            },
        },
        (Blocked::PickLine { .. }, _) | (Blocked::DataQuality { .. }, _) => return None,
    })
}

/// What rejecting an exception does to its document, in a few words for
/// the reject prompt (a supervisor rejecting a price hold cancels the
/// order, which the prompt said nothing of), and whether it cancels the
/// document (so the screen asks before it does). None: no reject.
pub fn reject_does(state: &State, x: &Exception) -> Option<(String, bool)> {
    Some(match &x.blocked {
        Blocked::Order { number, .. } => (format!("cancels order {number}"), true),
        Blocked::PurchaseOrder { number } => (format!("cancels {number}"), true),
        Blocked::Carton { list, carton } => (
            format!("unpacks carton {carton} of {list} to pack again"),
            false,
        ),
        Blocked::SupplierInvoice { number } => (format!("rejects {number}: not paid"), false),
        Blocked::Count { number } => match state.counts.get(number) {
            Some(c) if c.manual => (
                format!("withdraws adjustment {number}: nothing posted"),
                false,
            ),
            _ => (format!("{number} is counted again: nothing posted"), false),
        },
        Blocked::Change { id } => (format!("change {id} is not made"), false),
        Blocked::Invoice { number } => (
            format!("the disputed amount of {number} is owed again"),
            false,
        ),
        Blocked::PickLine { .. } | Blocked::DataQuality { .. } => return None,
    })
}

/// Approve or reject an exception: segregation of duties first (a clear
/// "you requested this"), then the document's own command decides, with
/// its own permission from the one table (`CommandBody::permission`).
pub fn decide_action(
    state: &State,
    cmd: &Command,
    id: u64,
    approve: bool,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let x = open_exception(state, id)?;
    if approve && own_request(state, x, &cmd.operator) {
        return Err(Rejection::OwnRequest {
            id,
            what: x.kind.as_str().replace('_', " "),
        });
    }
    if !approve {
        super::validate::text("reason", reason, true)?;
        if reason.chars().count() > TEXT_MAX {
            return Err(too_long("reason"));
        }
    }
    if let (Blocked::PickLine { list, line }, true) = (&x.blocked, approve) {
        let short = state
            .picks
            .get(list)
            .and_then(|p| p.lines.iter().find(|l| l.line == *line))
            .map(|l| l.short)
            .unwrap_or_default();
        super::decide::authorize_as(state, cmd, super::auth::Permission::ReleaseHolds)?;
        return Ok(vec![Event::ShortPickAcknowledged {
            list: list.clone(),
            line: *line,
            short,
            by: cmd.operator.clone(),
        }]);
    }
    let body = clearing_command(x, approve, reason).ok_or_else(|| Rejection::ExceptionAction {
        id,
        // "exception 1 is a data-quality finding: it cannot be approved;
        // fix the record" (it read "exception 1 a data quality cannot").
        problem: format!(
            "is a {}: it cannot be {}; {}",
            match x.kind {
                ExceptionKind::DataQuality => "data-quality finding".to_string(),
                k => k.as_str().replace('_', " "),
            },
            if approve { "approved" } else { "rejected" },
            match x.kind {
                ExceptionKind::DataQuality => "fix the record (the finding clears itself)",
                _ => "approve it or fix the document",
            }
        ),
    })?;
    let inner = Command {
        body,
        key: None,
        ..cmd.clone()
    };
    super::decide::decide(state, &inner)
}

pub(crate) fn too_long(field: &str) -> Rejection {
    Rejection::out_of_range(field, "longer", "1", format!("{TEXT_MAX} characters"))
}

/// Required text of at most [`TEXT_MAX`] characters (a note, a reason).
pub(crate) fn text(field: &str, s: &str) -> Result<(), Rejection> {
    super::validate::text(field, s, true)?;
    if s.chars().count() > TEXT_MAX {
        return Err(too_long(field));
    }
    Ok(())
}

/// An exception owned by `owner` may go to `to`: an active operator or a
/// role, and somebody else.
fn may_reassign(state: &State, owner: &Owner, to: &Owner) -> Result<(), Rejection> {
    if let Owner::Operator(o) = to {
        if !state.operators.get(o).is_some_and(|op| op.active) {
            return Err(Rejection::NotFound {
                kind: RecordKind::Operator,
                key: o.to_string(),
            });
        }
    }
    if owner == to {
        return Err(Rejection::NoChange);
    }
    Ok(())
}

/// The permission an owner needs to clear exception `x`: its document's
/// own command's (`release_hold` for a credit hold; a short pick's
/// acknowledgement: release_holds), whether from the queue or the
/// document's screen. None: cleared by fixing the record, by whoever may.
fn clearing_permission(x: &Exception) -> Option<super::auth::Permission> {
    match &x.blocked {
        Blocked::PickLine { .. } => Some(super::auth::Permission::ReleaseHolds),
        Blocked::DataQuality { .. } => None,
        _ => clearing_command(x, true, "")
            .or_else(|| clearing_command(x, false, ""))
            .map(|c| c.permission()),
    }
}

/// An exception given to a role (or a person) that cannot clear it
/// leaves every worklist that could: refused, naming what it lacks.
fn may_own(state: &State, x: &Exception, to: &Owner) -> Result<(), Rejection> {
    let Some(needs) = clearing_permission(x) else {
        return Ok(());
    };
    let (roles, who): (Vec<Role>, String) = match to {
        Owner::Role(r) => (vec![*r], format!("role {r}")),
        Owner::Operator(o) => (
            state
                .operators
                .get(o)
                .map(|op| op.roles.clone())
                .unwrap_or_default(),
            format!("operator {o}"),
        ),
    };
    if super::auth::allows(&roles, needs) {
        return Ok(());
    }
    Err(Rejection::ExceptionAction {
        id: x.id,
        problem: format!("cannot go to {who}: clearing it needs the permission {needs}"),
    })
}

/// Reassign an open exception to a role or an operator who can clear it.
pub fn reassign(
    state: &State,
    cmd: &Command,
    id: u64,
    to: &Owner,
) -> Result<Vec<Event>, Rejection> {
    let x = open_exception(state, id)?;
    may_reassign(state, &x.owner, to)?;
    may_own(state, x, to)?;
    Ok(vec![Event::ExceptionReassigned {
        id,
        owner: to.clone(),
        by: cmd.operator.clone(),
    }])
}

pub fn comment(
    state: &State,
    cmd: &Command,
    id: u64,
    text_: &str,
) -> Result<Vec<Event>, Rejection> {
    state.exceptions.get(&id).ok_or_else(|| not_found(id))?;
    text("text", text_)?;
    Ok(vec![Event::ExceptionCommented {
        id,
        text: text_.to_string(),
        by: cmd.operator.clone(),
    }])
}

pub fn snooze(
    state: &State,
    cmd: &Command,
    id: u64,
    until: NaiveDate,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let x = open_exception(state, id)?;
    text("reason", reason)?;
    let today = match (&x.warehouse, &x.entity) {
        (Some(w), _) => cmd.warehouse_date(state, w),
        (None, Some(e)) => cmd.entity_date(state, e),
        (None, None) => cmd.date(),
    };
    let snoozed = matches!(&x.status, ExceptionStatus::Snoozed { until: u, .. } if *u > today);
    snooze_range(until, today, snoozed)?;
    Ok(vec![Event::ExceptionSnoozed {
        id,
        until,
        reason: reason.to_string(),
        by: cmd.operator.clone(),
    }])
}

/// A snooze ends after `today`, within a year. One snoozed past today
/// may be woken: snoozed until today, it is back in the queue now (a
/// snooze set by mistake, or the cheque came early).
fn snooze_range(until: NaiveDate, today: NaiveDate, snoozed: bool) -> Result<(), Rejection> {
    if until == today && snoozed {
        return Ok(());
    }
    if until <= today || until > today + chrono::Duration::days(366) {
        return Err(Rejection::out_of_range(
            "until",
            until,
            today + chrono::Duration::days(1),
            today + chrono::Duration::days(366),
        ));
    }
    Ok(())
}

/// Apply the queue's own events (the document events raise and clear
/// through `sync`).
pub fn apply_event(state: &mut State, env: &Envelope, event: &Event) {
    match event {
        Event::ExceptionReassigned { id, owner, .. } => {
            if let Some(x) = state.exceptions.get_mut(id) {
                x.owner = owner.clone();
            }
        }
        Event::ExceptionCommented { id, text, by } => {
            if let Some(x) = state.exceptions.get_mut(id) {
                x.comments.push(Comment {
                    by: by.clone(),
                    at: env.time,
                    text: text.clone(),
                });
            }
        }
        Event::ExceptionSnoozed {
            id, until, reason, ..
        } => {
            if let Some(x) = state.exceptions.get_mut(id) {
                if x.is_open() {
                    x.status = ExceptionStatus::Snoozed {
                        until: *until,
                        reason: reason.clone(),
                    };
                }
            }
        }
        Event::ShortPickAcknowledged {
            list, line, short, ..
        } => {
            state
                .short_acknowledged
                .insert((list.clone(), *line), *short);
        }
        Event::IdentityLinked { operator, person } if operator != person => {
            state.persons.insert(operator.clone(), person.clone());
        }
        Event::ExceptionRoutingSet {
            entity,
            warehouse,
            kind,
            route,
        } => {
            state
                .exception_routing
                .insert((entity.clone(), warehouse.clone(), *kind), *route);
        }
        Event::ClockExceptionNoted { key, action, by } => {
            apply_clock_note(state, env, key, action, by);
        }
        _ => {}
    }
}

/// An exception that needs a clock: computed from the documents as of a
/// business date passed in (never stored: it is true or not on the day).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overdue {
    pub order: Code,
    pub line: u32,
    pub customer: Code,
    pub warehouse: Code,
    pub sku: Code,
    pub qty: Decimal,
    /// What the backordered quantity is worth (order currency).
    pub value: Decimal,
    pub currency: Code,
    pub promise: NaiveDate,
    /// Days past the promise on `today`.
    pub days: i64,
}

/// Backordered lines of confirmed orders whose promise date is before
/// `today` (the caller's clock): the "backorder past its promise" kind.
pub fn backorders_past_promise(state: &State, today: NaiveDate) -> Vec<Overdue> {
    let mut out = Vec::new();
    for number in state.index.open_orders.values().flatten() {
        if let Some(o) = state.orders.get(number) {
            overdue_lines(o, today, &mut out);
        }
    }
    out.sort_by(|a, b| b.days.cmp(&a.days).then(a.order.cmp(&b.order)));
    out
}

/// One order's backordered lines past their promise on `today`.
fn overdue_lines(o: &super::sales::SalesOrder, today: NaiveDate, out: &mut Vec<Overdue>) {
    for l in o
        .lines
        .iter()
        .filter(|l| !l.cancelled && l.backordered > Decimal::ZERO)
    {
        if let Some(promise) = l.promise.filter(|p| *p < today) {
            out.push(Overdue {
                order: o.number.clone(),
                line: l.line,
                customer: o.customer.clone(),
                warehouse: l.warehouse.clone(),
                sku: l.sku.clone(),
                qty: l.backordered,
                value: o.currency.cents(l.price * l.backordered),
                currency: o.currency.0.clone(),
                promise,
                days: (today - promise).num_days(),
            });
        }
    }
}

/// An order line that can no longer make its customer's must-arrive date:
/// not shipped by the carrier's cutoff on the last day that would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LateLine {
    pub order: Code,
    pub line: u32,
    pub entity: Code,
    pub customer: Code,
    pub warehouse: Code,
    pub sku: Code,
    /// Left to ship (base units) and what it is worth (order currency).
    pub qty: Decimal,
    pub value: Decimal,
    pub currency: Code,
    /// The must-arrive date, or the day the order was requested for
    /// (`requested`: the customer sets no must-arrive days).
    pub must_arrive: NaiveDate,
    pub requested: bool,
    /// The cutoff it had to ship by, on the warehouse's clock.
    pub ship_by: chrono::NaiveDateTime,
    /// Whole days past `ship_by` (0 on the day it passed).
    pub days: i64,
}

/// When an order must have shipped: to arrive in time, the carrier
/// service's cutoff on the must-arrive date less its transit days (the end
/// of that day when the order names no service), on the warehouse's clock;
/// for a customer who sets no must-arrive days, by the day the order was
/// requested for (the service's cutoff that day, else its end): an order
/// past the day it was asked for is late whoever the customer is.
pub fn ship_by(state: &State, o: &super::sales::SalesOrder) -> Option<ShipBy> {
    // The order's channel policy when it was placed, else the customer's.
    let policy = super::channel::of_order(state, o);
    let days = policy.as_ref().and_then(|p| p.must_arrive_days.value);
    let cutoff = policy.as_ref().and_then(|p| p.carrier_cutoff.value);
    let service = o.carrier.as_ref().and_then(|carrier| {
        let svc = o.service.as_ref()?;
        state
            .carriers
            .get(carrier)?
            .services
            .iter()
            .find(|s| s.code == svc)
    });
    let Some(days) = days else {
        let at = match cutoff.or(service.map(|s| s.cutoff)) {
            Some(t) => o.requested.and_time(t),
            None => o.requested.and_hms_opt(23, 59, 59)?,
        };
        return Some(ShipBy {
            day: o.requested,
            at,
            requested: true,
        });
    };
    let must_arrive = o.date + chrono::Duration::days(i64::from(days));
    // A channel policy's cutoff replaces the carrier service's.
    let at = match service {
        Some(s) => (must_arrive - chrono::Duration::days(i64::from(s.transit_days)))
            .and_time(cutoff.unwrap_or(s.cutoff)),
        None => match cutoff {
            Some(t) => must_arrive.and_time(t),
            None => must_arrive.and_hms_opt(23, 59, 59)?,
        },
    };
    Some(ShipBy {
        day: must_arrive,
        at,
        requested: false,
    })
}

/// What `ship_by` found for an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShipBy {
    /// The must-arrive date, or the day requested (`requested`).
    pub day: NaiveDate,
    /// The cutoff it has to ship by, on the warehouse's clock.
    pub at: chrono::NaiveDateTime,
    /// By the day the order was requested for: the customer sets no
    /// must-arrive days.
    pub requested: bool,
}

/// Order lines past their ship-by cutoff (`ship_by`) without shipping as
/// of `now` (the caller's clock), more than the routing's grace days:
/// the "late shipment" kind.
pub fn late_shipments(state: &State, now: DateTime<Utc>) -> Vec<LateLine> {
    let mut out = Vec::new();
    for number in state.index.open_orders.values().flatten() {
        if let Some(o) = state.orders.get(number) {
            late_lines(state, o, now, &mut out);
        }
    }
    out.sort_by(|a, b| {
        a.ship_by
            .cmp(&b.ship_by)
            .then(a.order.cmp(&b.order))
            .then(a.line.cmp(&b.line))
    });
    out
}

/// One order's lines past their ship-by cutoff as of `now`.
fn late_lines(
    state: &State,
    o: &super::sales::SalesOrder,
    now: DateTime<Utc>,
    out: &mut Vec<LateLine>,
) {
    if o.status != OrderStatus::Open {
        return;
    }
    let Some(ShipBy {
        day: must_arrive,
        at,
        requested,
    }) = ship_by(state, o)
    else {
        return;
    };
    for l in o.lines.iter().filter(|l| !l.cancelled && l.qty > l.shipped) {
        let place = super::zone::Place::Warehouse(l.warehouse.clone());
        let local = super::zone::local_time(state, &place, now);
        if local <= at {
            continue;
        }
        let days = (local - at).num_days();
        let grace = route(
            state,
            ExceptionKind::LateShipment,
            &o.entity,
            Some(l.warehouse.as_str()),
        )
        .after_days;
        if days < i64::from(grace) {
            continue;
        }
        let qty = l.qty - l.shipped;
        out.push(LateLine {
            order: o.number.clone(),
            line: l.line,
            entity: o.entity.clone(),
            customer: o.customer.clone(),
            warehouse: l.warehouse.clone(),
            sku: l.sku.clone(),
            qty,
            value: o.currency.cents(l.price * qty),
            currency: o.currency.0.clone(),
            must_arrive,
            requested,
            ship_by: at,
            days,
        });
    }
}

/// A customer's credit on account (cash received, not applied) standing
/// longer than its entity allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleCredit {
    pub entity: Code,
    pub customer: Code,
    /// Free credit (not earmarked for a will-call), customer currency.
    pub amount: Decimal,
    pub currency: Code,
    /// The day the credit has stood since (without falling to zero).
    pub since: NaiveDate,
    /// Days since `since` on the entity's date of `now`.
    pub days: i64,
}

/// Days a customer's credit may stand unapplied before it is an
/// exception, unless the entity's routing says otherwise.
pub const UNAPPLIED_CASH_DAYS: u32 = 30;

/// Credit on account older than the entity's limit as of `now`: the
/// "unapplied cash older than N days" kind.
pub fn unapplied_cash(state: &State, now: DateTime<Utc>) -> Vec<StaleCredit> {
    let mut out: Vec<StaleCredit> = state
        .unapplied
        .keys()
        .filter_map(|(entity, customer)| stale_credit(state, entity, customer, now))
        .collect();
    out.sort_by(|a, b| b.days.cmp(&a.days).then(a.customer.cmp(&b.customer)));
    out
}

/// A customer's free credit in an entity, when it has stood longer than
/// the entity allows as of `now`.
fn stale_credit(
    state: &State,
    entity: &str,
    customer: &str,
    now: DateTime<Utc>,
) -> Option<StaleCredit> {
    let key = (entity.to_code(), customer.to_code());
    let total = state.unapplied.get(&key).copied()?;
    let free = total - super::counter::earmarked(state, entity, customer);
    if free <= Decimal::ZERO {
        return None;
    }
    let since = state.unapplied_since.get(&key).copied()?;
    let today = super::zone::entity_date(state, entity, now);
    let days = (today - since).num_days();
    if days <= i64::from(route(state, ExceptionKind::UnappliedCash, entity, None).after_days) {
        return None;
    }
    Some(StaleCredit {
        entity: key.0,
        customer: key.1,
        amount: free,
        currency: state
            .customers
            .get(&customer.to_code())
            .map(|c| c.currency.to_string())
            .unwrap_or_default()
            .into(),
        since,
        days,
    })
}

/// A kind computed on the clock, identified by its episode: the document
/// and the date the condition is measured from, so that what is said about
/// one episode (a comment, a snooze, an owner) does not carry to the next
/// (a new promise date, a new stretch of credit on account).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKey {
    Backorder {
        order: Code,
        line: u32,
        promise: NaiveDate,
    },
    LateShipment {
        order: Code,
        line: u32,
        must_arrive: NaiveDate,
    },
    UnappliedCash {
        entity: Code,
        customer: Code,
        since: NaiveDate,
    },
    /// What a person said about the late-shipment model's prediction for
    /// an open order (issue 23): the episode is the order and the day it
    /// is requested for. The core never sees the model: it records only
    /// the note, while the order is open and asked for that day. Appended
    /// last: bincode names a variant by its position, so every stored key
    /// keeps its meaning.
    LateRisk { order: Code, requested: NaiveDate },
}

impl ClockKey {
    pub fn kind(&self) -> ExceptionKind {
        match self {
            ClockKey::Backorder { .. } => ExceptionKind::BackorderPastPromise,
            ClockKey::LateShipment { .. } => ExceptionKind::LateShipment,
            ClockKey::UnappliedCash { .. } => ExceptionKind::UnappliedCash,
            // Routed (and owned by default) as a late shipment: the risk
            // of one.
            ClockKey::LateRisk { .. } => ExceptionKind::LateShipment,
        }
    }

    /// The sales order it is about, if any.
    pub fn order(&self) -> Option<&str> {
        match self {
            ClockKey::Backorder { order, .. }
            | ClockKey::LateShipment { order, .. }
            | ClockKey::LateRisk { order, .. } => Some(order),
            ClockKey::UnappliedCash { .. } => None,
        }
    }
}

impl std::fmt::Display for ClockKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClockKey::Backorder { order, line, .. }
            | ClockKey::LateShipment { order, line, .. } => {
                write!(f, "order {order} line {line}")
            }
            ClockKey::UnappliedCash { customer, .. } => write!(f, "credit of {customer}"),
            ClockKey::LateRisk { order, requested } => {
                write!(f, "late risk of order {order} (requested {requested})")
            }
        }
    }
}

/// What was said about a clock-computed exception: its owner when given
/// to somebody, snoozed until a date, comments.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockNote {
    pub owner: Option<Owner>,
    pub snoozed: Option<(NaiveDate, String)>,
    pub comments: Vec<Comment>,
}

/// An action on a clock-computed exception (approve and reject have no
/// meaning there: it clears when the work is done).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockAction {
    Reassign { to: Owner },
    Comment { text: String },
    Snooze { until: NaiveDate, reason: String },
}

/// A clock-computed exception as of an instant: the queue's and the
/// report's one view of backorders past their promise, late shipments
/// and credit left unapplied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockException {
    pub key: ClockKey,
    pub entity: Code,
    pub warehouse: Option<Code>,
    pub party: Code,
    /// The routed owner, a step up once the age passes its service level,
    /// unless it was given to somebody (a late shipment: or its order's
    /// prediction was, before it was late, and the late row was not).
    pub owner: Owner,
    pub amount: Decimal,
    pub unit: Code,
    /// Days the condition has lasted (past the promise, the cutoff, the
    /// entity's limit of days).
    pub days: i64,
    pub severity: Severity,
    /// What the days are counted from ("promised 2026-11-20").
    pub from: String,
    pub summary: String,
    /// Snoozed until a date (out of the queue while `until > today`).
    pub snoozed: Option<(NaiveDate, String)>,
    /// As they were made; a late shipment's begin with those said about
    /// its order's prediction, each marked [`ON_THE_PREDICTION`].
    pub comments: Vec<Comment>,
}

impl ClockException {
    pub fn kind(&self) -> ExceptionKind {
        self.key.kind()
    }

    /// Not snoozed past `today`.
    pub fn in_queue(&self, today: NaiveDate) -> bool {
        self.snoozed
            .as_ref()
            .is_none_or(|(until, _)| *until <= today)
    }
}

/// The owner of a clock-computed exception, with what was said about it:
/// whoever it was given to, else its routed role, one role up once it
/// has lasted longer than its service level (one step, as `escalate`
/// takes a stored one).
fn clock_owner(
    state: &State,
    key: &ClockKey,
    r: &Route,
    days: i64,
) -> (Owner, Option<(NaiveDate, String)>, Vec<Comment>) {
    let note = state.clock_notes.get(key);
    let routed = if days > i64::from(r.sla_days) {
        next_role(r.owner).unwrap_or(r.owner)
    } else {
        r.owner
    };
    let owner = note
        .and_then(|n| n.owner.clone())
        .unwrap_or(Owner::Role(routed));
    (
        owner,
        note.and_then(|n| n.snoozed.clone()),
        note.map(|n| n.comments.clone()).unwrap_or_default(),
    )
}

fn clock_of_overdue(state: &State, entity: &str, b: Overdue) -> ClockException {
    let kind = ExceptionKind::BackorderPastPromise;
    let r = route(state, kind, entity, Some(&b.warehouse));
    let key = ClockKey::Backorder {
        order: b.order.clone(),
        line: b.line,
        promise: b.promise,
    };
    let (owner, snoozed, comments) = clock_owner(state, &key, &r, b.days);
    ClockException {
        summary: format!(
            "{} {} backordered for {}, promised {}: {} days past the promise",
            b.qty, b.sku, b.customer, b.promise, b.days
        ),
        from: format!("promised {}", b.promise),
        key,
        entity: entity.to_code(),
        warehouse: Some(b.warehouse),
        party: b.customer,
        owner,
        severity: severity_at(severity(kind, b.value), b.days, r.sla_days),
        amount: b.value,
        unit: b.currency,
        days: b.days,
        snoozed,
        comments,
    }
}

/// How a comment on the late-shipment model's prediction reads on the
/// late row of its order (`clock_of_late`): said about the prediction,
/// before the order was late.
pub const ON_THE_PREDICTION: &str = "on the prediction: ";

/// What was said about the late-shipment model's prediction for `order`
/// in its episode now (`ClockKey::LateRisk`: the order and the day it is
/// requested for, as `late_risk` takes it), if anything.
fn prediction_note<'a>(state: &'a State, order: &Code) -> Option<&'a ClockNote> {
    let o = state.orders.get(order)?;
    state.clock_notes.get(&ClockKey::LateRisk {
        order: order.clone(),
        requested: o.requested,
    })
}

/// A late line as the queue lists it: its own note, and what was said
/// about the order's prediction carried to it (`prediction_note`).
fn clock_of_late(state: &State, l: LateLine) -> ClockException {
    let kind = ExceptionKind::LateShipment;
    let r = route(state, kind, &l.entity, Some(&l.warehouse));
    let key = ClockKey::LateShipment {
        order: l.order.clone(),
        line: l.line,
        must_arrive: l.must_arrive,
    };
    let (mut owner, snoozed, mut comments) = clock_owner(state, &key, &r, l.days);
    // What was said about the model's prediction for the order, before
    // it was late: the owner it was given to (unless the late row was
    // given to somebody itself) and its comments, marked, first. Not its
    // snooze: snoozing a risk is not snoozing a late shipment.
    if let Some(said) = prediction_note(state, &l.order) {
        let own_owner = state
            .clock_notes
            .get(&key)
            .is_some_and(|n| n.owner.is_some());
        if let (false, Some(given)) = (own_owner, &said.owner) {
            owner = given.clone();
        }
        comments = said
            .comments
            .iter()
            .map(|c| Comment {
                text: format!("{ON_THE_PREDICTION}{}", c.text),
                ..c.clone()
            })
            .chain(comments)
            .collect();
    }
    ClockException {
        summary: if l.requested {
            format!(
                "{} {} for {} had to ship by {}, the day requested",
                l.qty,
                l.sku,
                l.customer,
                l.ship_by.format("%Y-%m-%d %H:%M"),
            )
        } else {
            format!(
                "{} {} for {} had to ship by {} to arrive by {}",
                l.qty,
                l.sku,
                l.customer,
                l.ship_by.format("%Y-%m-%d %H:%M"),
                l.must_arrive
            )
        },
        from: format!("ship by {}", l.ship_by.format("%Y-%m-%d %H:%M")),
        key,
        entity: l.entity,
        warehouse: Some(l.warehouse),
        party: l.customer,
        owner,
        severity: severity_at(severity(kind, l.value), l.days, r.sla_days),
        amount: l.value,
        unit: l.currency,
        days: l.days,
        snoozed,
        comments,
    }
}

fn clock_of_credit(state: &State, c: StaleCredit) -> ClockException {
    let kind = ExceptionKind::UnappliedCash;
    let r = route(state, kind, &c.entity, None);
    let key = ClockKey::UnappliedCash {
        entity: c.entity.clone(),
        customer: c.customer.clone(),
        since: c.since,
    };
    // Its age counts from the day it became an exception.
    let past = c.days - i64::from(r.after_days);
    let (owner, snoozed, comments) = clock_owner(state, &key, &r, past);
    ClockException {
        summary: format!(
            "{} {} on account since {}, not applied: apply it or refund it",
            c.amount, c.currency, c.since
        ),
        from: format!("since {}", c.since),
        key,
        entity: c.entity,
        warehouse: None,
        party: c.customer,
        owner,
        severity: severity_at(severity(kind, c.amount), past, r.sla_days),
        amount: c.amount,
        unit: c.currency,
        days: c.days,
        snoozed,
        comments,
    }
}

/// Every clock-computed exception as of `now` (business dates on each
/// entity's and warehouse's clock), snoozed ones included.
pub fn clock_exceptions(state: &State, now: DateTime<Utc>) -> Vec<ClockException> {
    let mut out = Vec::new();
    for number in state.index.open_orders.values().flatten() {
        let Some(o) = state.orders.get(number) else {
            continue;
        };
        let mut overdue = Vec::new();
        overdue_lines(
            o,
            super::zone::entity_date(state, &o.entity, now),
            &mut overdue,
        );
        out.extend(
            overdue
                .into_iter()
                .map(|b| clock_of_overdue(state, &o.entity, b)),
        );
    }
    out.extend(
        late_shipments(state, now)
            .into_iter()
            .map(|l| clock_of_late(state, l)),
    );
    out.extend(
        unapplied_cash(state, now)
            .into_iter()
            .map(|c| clock_of_credit(state, c)),
    );
    out
}

/// The clock-computed exception `key` names, if it is one as of `now`.
pub fn clock_exception(
    state: &State,
    key: &ClockKey,
    now: DateTime<Utc>,
) -> Option<ClockException> {
    match key {
        ClockKey::Backorder { order, .. } => {
            let o = state.orders.get(order)?;
            let mut v = Vec::new();
            overdue_lines(o, super::zone::entity_date(state, &o.entity, now), &mut v);
            v.into_iter()
                .map(|b| clock_of_overdue(state, &o.entity, b))
                .find(|x| x.key == *key)
        }
        ClockKey::LateShipment { order, .. } => {
            let o = state.orders.get(order)?;
            let mut v = Vec::new();
            late_lines(state, o, now, &mut v);
            v.into_iter()
                .map(|l| clock_of_late(state, l))
                .find(|x| x.key == *key)
        }
        ClockKey::UnappliedCash {
            entity, customer, ..
        } => stale_credit(state, entity, customer, now)
            .map(|c| clock_of_credit(state, c))
            .filter(|x| x.key == *key),
        // A prediction is the model's, not the clock's (`late_risk`).
        ClockKey::LateRisk { .. } => None,
    }
}

/// Act on a clock-computed exception: only while it is one (on the
/// command's clock), with the same checks as the stored kinds.
pub fn clock_action(
    state: &State,
    cmd: &Command,
    key: &ClockKey,
    action: &ClockAction,
) -> Result<Vec<Event>, Rejection> {
    let (owner, entity, warehouse) = match key {
        ClockKey::LateRisk { .. } => {
            let r = late_risk(state, key)?;
            (r.owner, r.entity, Some(r.warehouse))
        }
        _ => {
            let x =
                clock_exception(state, key, cmd.time).ok_or_else(|| Rejection::NotAnException {
                    what: key.to_string(),
                })?;
            (x.owner, x.entity, x.warehouse)
        }
    };
    match action {
        ClockAction::Reassign { to } => may_reassign(state, &owner, to)?,
        ClockAction::Comment { text: t } => text("text", t)?,
        ClockAction::Snooze { until, reason } => {
            text("reason", reason)?;
            let today = match &warehouse {
                Some(w) => cmd.warehouse_date(state, w),
                None => cmd.entity_date(state, &entity),
            };
            let snoozed = state
                .clock_notes
                .get(key)
                .and_then(|n| n.snoozed.as_ref())
                .is_some_and(|(u, _)| *u > today);
            snooze_range(*until, today, snoozed)?;
        }
    }
    Ok(vec![Event::ClockExceptionNoted {
        key: key.clone(),
        action: action.clone(),
        by: cmd.operator.clone(),
    }])
}

/// Apply what was said about a clock-computed exception, and forget what
/// was said about episodes that are over (the order closed, the credit
/// applied or a new stretch begun): the notes stay as few as the live
/// exceptions people spoke about.
pub fn apply_clock_note(
    state: &mut State,
    env: &Envelope,
    key: &ClockKey,
    action: &ClockAction,
    by: &str,
) {
    let note = state.clock_notes.entry(key.clone()).or_default();
    match action {
        ClockAction::Reassign { to } => note.owner = Some(to.clone()),
        ClockAction::Comment { text } => note.comments.push(Comment {
            by: by.to_code(),
            at: env.time,
            text: text.clone(),
        }),
        ClockAction::Snooze { until, reason } => note.snoozed = Some((*until, reason.clone())),
    }
    let open: BTreeSet<&Code> = state.index.open_orders.values().flatten().collect();
    let over: Vec<ClockKey> = state
        .clock_notes
        .keys()
        .filter(|k| match k {
            ClockKey::Backorder { order, .. } | ClockKey::LateShipment { order, .. } => {
                !open.contains(order)
            }
            ClockKey::LateRisk { order, requested } => {
                !open.contains(order)
                    || state.orders.get(order).map(|o| o.requested) != Some(*requested)
            }
            ClockKey::UnappliedCash {
                entity,
                customer,
                since,
            } => {
                state
                    .unapplied_since
                    .get(&(entity.clone(), customer.clone()))
                    != Some(since)
            }
        })
        .cloned()
        .collect();
    for k in over {
        state.clock_notes.remove(&k);
    }
}

/// The late-shipment risk of an open order as a person may speak about
/// it (`ClockKey::LateRisk`): who owns it and where it is. The model's
/// probability is not here: the core records what was said, never what a
/// model computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LateRiskEpisode {
    pub order: Code,
    pub entity: Code,
    /// The warehouse of its first line (its business day for a snooze).
    pub warehouse: Code,
    /// Whoever it was given to, else the role late shipments are routed
    /// to in its entity and warehouse.
    pub owner: Owner,
    pub snoozed: Option<(NaiveDate, String)>,
    pub comments: Vec<Comment>,
}

impl LateRiskEpisode {
    /// Not snoozed past `today`.
    pub fn in_queue(&self, today: NaiveDate) -> bool {
        self.snoozed
            .as_ref()
            .is_none_or(|(until, _)| *until <= today)
    }
}

/// The late-risk episode `key` names, if a person may speak about it: the
/// order known (not archived), open with something left to ship, and
/// still requested for the key's day (a new requested day is a new
/// episode). Refused as `not_found` for an order not in memory,
/// `not_an_exception` for one closed, shipped or moved on.
pub fn late_risk(state: &State, key: &ClockKey) -> Result<LateRiskEpisode, Rejection> {
    let ClockKey::LateRisk { order, requested } = key else {
        return Err(Rejection::NotAnException {
            what: key.to_string(),
        });
    };
    // An archived order is `not_found` here, `document_archived` from
    // `decide` (`archive::archived_instead`).
    let Some(o) = state.orders.get(order) else {
        return Err(Rejection::NotFound {
            kind: RecordKind::SalesOrder,
            key: order.to_string(),
        });
    };
    let open = o.status == OrderStatus::Open
        && state
            .index
            .open_orders
            .get(&o.customer)
            .is_some_and(|xs| xs.contains(order));
    if !open || o.requested != *requested {
        return Err(Rejection::NotAnException {
            what: key.to_string(),
        });
    }
    let warehouse = o
        .lines
        .iter()
        .find(|l| !l.cancelled && l.qty > l.shipped)
        .or(o.lines.first())
        .map(|l| l.warehouse.clone())
        .unwrap_or_default();
    let note = state.clock_notes.get(key);
    let routed = route(
        state,
        ExceptionKind::LateShipment,
        &o.entity,
        Some(warehouse.as_str()),
    )
    .owner;
    Ok(LateRiskEpisode {
        order: order.clone(),
        entity: o.entity.clone(),
        warehouse,
        owner: note
            .and_then(|n| n.owner.clone())
            .unwrap_or(Owner::Role(routed)),
        snoozed: note.and_then(|n| n.snoozed.clone()),
        comments: note.map(|n| n.comments.clone()).unwrap_or_default(),
    })
}

/// Forget what was said about the late risk of `order` once its episode
/// is over: the order closed, cancelled or shipped in full, archived, or
/// requested for another day. Called for each order a log record touched;
/// touches late-risk notes only (the other kinds are forgotten by
/// `apply_clock_note`, as they always were, so a replay of an older log
/// gives the state it gave).
pub fn forget_late_risk(state: &mut State, order: &Code) {
    let lo = ClockKey::LateRisk {
        order: order.clone(),
        requested: NaiveDate::MIN,
    };
    let hi = ClockKey::LateRisk {
        order: order.clone(),
        requested: NaiveDate::MAX,
    };
    let keys: Vec<ClockKey> = state
        .clock_notes
        .range(lo..=hi)
        .map(|(k, _)| k.clone())
        .collect();
    for k in keys {
        if late_risk(state, &k).is_err() {
            state.clock_notes.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    //! Notes on the late-shipment model's predictions (issue 23): kept by
    //! episode (the order and its requested day), refused on an order
    //! that is unknown, not open or asked for another day, forgotten when
    //! the episode ends, and replayed from the log as they were made.
    use super::*;
    use crate::core::event::Outcome;
    use crate::core::{execute, Command};
    use chrono::TimeZone;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date")
    }

    fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
        Utc.from_utc_datetime(&day.and_hms_opt(hour, 0, 0).expect("a time"))
    }

    /// The demo's master data, and the log records that made it.
    fn demo() -> (State, Vec<Envelope>) {
        let mut s = State::default();
        let mut log = Vec::new();
        for body in crate::io::demo::commands(today(), 0).expect("demo commands") {
            let cmd = Command {
                operator: "ADMIN".into(),
                session: "test".into(),
                time: at(today(), 8),
                key: None,
                body,
            };
            log.push(execute(&mut s, &cmd).expect("a demo command"));
        }
        (s, log)
    }

    /// Run a command given as its JSON as `operator` at `time`; the log
    /// record is kept.
    fn run(
        s: &mut State,
        log: &mut Vec<Envelope>,
        operator: &str,
        time: DateTime<Utc>,
        body: serde_json::Value,
    ) -> Result<(), Rejection> {
        let cmd = Command {
            operator: operator.into(),
            session: "test".into(),
            time,
            key: None,
            body: serde_json::from_value(body).expect("a command"),
        };
        let env = execute(s, &cmd)?;
        let refused = match &env.outcome {
            Outcome::Rejected(r) => Some(r.clone()),
            Outcome::Committed(_) => None,
        };
        log.push(env);
        refused.map_or(Ok(()), Err)
    }

    /// The demo with SO-000001 placed for C0041 (20 FAS-1001 from CHI,
    /// requested today).
    fn ordered() -> (State, Vec<Envelope>) {
        let (mut s, mut log) = demo();
        run(
            &mut s,
            &mut log,
            "CLERK1",
            at(today(), 9),
            serde_json::json!({"cmd": "place_order", "customer": "C0041",
                "lines": [{"sku": "FAS-1001", "qty": "20", "warehouse": "CHI"}]}),
        )
        .expect("placed");
        (s, log)
    }

    fn key(order: &str, requested: NaiveDate) -> ClockKey {
        ClockKey::LateRisk {
            order: order.into(),
            requested,
        }
    }

    fn note(
        s: &mut State,
        log: &mut Vec<Envelope>,
        operator: &str,
        key: &ClockKey,
        action: serde_json::Value,
    ) -> Result<(), Rejection> {
        let mut body = action;
        body["key"] = serde_json::to_value(key).expect("a key");
        run(s, log, operator, at(today(), 10), body)
    }

    fn comment(text: &str) -> serde_json::Value {
        serde_json::json!({"cmd": "comment_clock_exception", "text": text})
    }

    /// Release, pick, pack and ship SO-000001 in full.
    fn ship(s: &mut State, log: &mut Vec<Envelope>) {
        let t = at(today(), 11);
        for (op, body) in [
            (
                "SHIP1",
                serde_json::json!({"cmd": "release_order", "number": "SO-000001"}),
            ),
            (
                "PICK1",
                serde_json::json!({"cmd": "confirm_pick", "list": "PK-000001", "line": 1,
                "bin": "B-03-03", "item": "FAS-1001", "qty": "12"}),
            ),
            (
                "PICK1",
                serde_json::json!({"cmd": "confirm_pick", "list": "PK-000001", "line": 2,
                "bin": "R-01-02", "item": "FAS-1001", "qty": "8"}),
            ),
            (
                "PACK1",
                serde_json::json!({"cmd": "pack_carton", "list": "PK-000001",
                "contents": [{"item": "FAS-1001", "qty": "20"}], "weight": "26.22"}),
            ),
            (
                "SHIP1",
                serde_json::json!({"cmd": "ship_pick", "list": "PK-000001",
                "carrier": "FEDEX", "service": "GND", "freight": "12.50"}),
            ),
        ] {
            run(s, log, op, t, body).expect("shipping step");
        }
    }

    #[test]
    fn a_prediction_is_commented_given_and_snoozed_by_episode() {
        let (mut s, mut log) = ordered();
        let k = key("SO-000001", today());
        let before = late_risk(&s, &k).expect("an open order");
        assert_eq!(before.owner, Owner::Role(Role::Supervisor));
        assert!(before.comments.is_empty());
        note(&mut s, &mut log, "SUP1", &k, comment("carrier called")).expect("commented");
        note(
            &mut s,
            &mut log,
            "SUP1",
            &k,
            serde_json::json!({"cmd": "reassign_clock_exception", "to": {"operator": "SHIP1"}}),
        )
        .expect("given");
        let until = today() + chrono::Duration::days(2);
        note(
            &mut s,
            &mut log,
            "SUP1",
            &k,
            serde_json::json!({"cmd": "snooze_clock_exception", "until": until,
                "reason": "truck booked"}),
        )
        .expect("snoozed");
        let r = late_risk(&s, &k).expect("still open");
        assert_eq!(r.owner, Owner::Operator("SHIP1".into()));
        assert_eq!(r.snoozed, Some((until, "truck booked".to_string())));
        assert_eq!(r.comments.len(), 1);
        assert_eq!(r.comments[0].text, "carrier called");
        assert_eq!(r.comments[0].by.as_str(), "SUP1");
        assert!(!r.in_queue(today()));
        assert!(r.in_queue(until));
        // Given to the same person again: nothing to do.
        assert_eq!(
            note(
                &mut s,
                &mut log,
                "SUP1",
                &k,
                serde_json::json!({"cmd": "reassign_clock_exception", "to": {"operator": "SHIP1"}}),
            ),
            Err(Rejection::NoChange)
        );
        // A snooze ends after today (not yesterday); snoozed until today,
        // a snoozed one is woken: back in the queue now. A picker may
        // not snooze.
        let yesterday = today() - chrono::Duration::days(1);
        let r = note(
            &mut s,
            &mut log,
            "SUP1",
            &k,
            serde_json::json!({"cmd": "snooze_clock_exception", "until": yesterday, "reason": "x"}),
        );
        assert!(matches!(r, Err(Rejection::OutOfRange { .. })), "{r:?}");
        note(
            &mut s,
            &mut log,
            "SUP1",
            &k,
            serde_json::json!({"cmd": "snooze_clock_exception", "until": today(), "reason": "woken"}),
        )
        .expect("woken");
        assert!(late_risk(&s, &k).expect("still open").in_queue(today()));
        // Woken, it is not snoozed past today: today is no snooze now.
        let r = note(
            &mut s,
            &mut log,
            "SUP1",
            &k,
            serde_json::json!({"cmd": "snooze_clock_exception", "until": today(), "reason": "x"}),
        );
        assert!(matches!(r, Err(Rejection::OutOfRange { .. })), "{r:?}");
        let r = note(
            &mut s,
            &mut log,
            "PICK1",
            &k,
            serde_json::json!({"cmd": "snooze_clock_exception", "until": until, "reason": "x"}),
        );
        assert!(matches!(r, Err(Rejection::NotPermitted { .. })), "{r:?}");
        // An empty comment is refused, nothing kept.
        let r = note(&mut s, &mut log, "SUP1", &k, comment("  "));
        assert!(matches!(r, Err(Rejection::InvalidText { .. })), "{r:?}");
        assert_eq!(s.clock_notes.get(&k).map(|n| n.comments.len()), Some(1));
    }

    #[test]
    fn a_note_on_an_unknown_order_or_another_requested_day_is_refused() {
        let (mut s, mut log) = ordered();
        let seq = s.seq;
        let r = note(
            &mut s,
            &mut log,
            "SUP1",
            &key("SO-000099", today()),
            comment("x"),
        );
        assert!(
            matches!(&r, Err(Rejection::NotFound { kind: RecordKind::SalesOrder, key }) if key == "SO-000099"),
            "{r:?}"
        );
        let stale = key("SO-000001", today() + chrono::Duration::days(1));
        let r = note(&mut s, &mut log, "SUP1", &stale, comment("x"));
        assert_eq!(
            r.as_ref().map_err(|e| e.to_string()),
            Err(
                "late risk of order SO-000001 (requested 2026-11-26) is not an exception now: it cleared or moved on"
                    .to_string()
            )
        );
        assert_eq!(s.seq, seq, "nothing recorded");
        assert!(s.clock_notes.is_empty());
    }

    #[test]
    fn a_shipped_order_takes_no_note_and_forgets_what_was_said() {
        let (mut s, mut log) = ordered();
        let k = key("SO-000001", today());
        note(&mut s, &mut log, "SUP1", &k, comment("watch it")).expect("commented");
        assert_eq!(s.clock_notes.len(), 1);
        ship(&mut s, &mut log);
        // Forgotten in the record that shipped the last of it.
        assert!(s.clock_notes.is_empty(), "{:?}", s.clock_notes);
        let r = note(&mut s, &mut log, "SUP1", &k, comment("too late"));
        assert!(matches!(r, Err(Rejection::NotAnException { .. })), "{r:?}");
    }

    #[test]
    fn a_cancelled_order_forgets_what_was_said_about_its_risk() {
        let (mut s, mut log) = ordered();
        let k = key("SO-000001", today());
        note(&mut s, &mut log, "SUP1", &k, comment("watch it")).expect("commented");
        run(
            &mut s,
            &mut log,
            "CLERK1",
            at(today(), 12),
            serde_json::json!({"cmd": "cancel_order", "number": "SO-000001",
                "reason": "customer changed their mind"}),
        )
        .expect("cancelled");
        assert!(s.clock_notes.is_empty());
        let r = note(&mut s, &mut log, "SUP1", &k, comment("x"));
        assert!(matches!(r, Err(Rejection::NotAnException { .. })), "{r:?}");
    }

    #[test]
    fn notes_on_predictions_replay_and_survive_a_snapshot() {
        let (mut s, mut log) = ordered();
        let k = key("SO-000001", today());
        note(&mut s, &mut log, "SUP1", &k, comment("carrier called")).expect("commented");
        note(
            &mut s,
            &mut log,
            "SUP1",
            &k,
            serde_json::json!({"cmd": "snooze_clock_exception",
                "until": today() + chrono::Duration::days(3), "reason": "booked"}),
        )
        .expect("snoozed");
        // Replaying the log from empty gives the same state, notes too.
        let mut replayed = State::default();
        for env in &log {
            crate::core::apply(&mut replayed, env);
        }
        assert_eq!(replayed.clock_notes, s.clock_notes);
        assert_eq!(replayed.clock_notes.len(), 1);
        // A snapshot of it decodes to the same notes (the key is a new
        // variant, appended last).
        let bytes = crate::store::codec::encode_snapshot(s.seq, &s).expect("encoded");
        let back: State = crate::store::codec::decode_snapshot(s.seq, &bytes).expect("decoded");
        assert_eq!(back.clock_notes, s.clock_notes);
        // And the log records carrying them decode as written.
        let last = log.last().expect("a record");
        let bytes = crate::store::codec::encode(last.seq, last).expect("encoded");
        let env = crate::store::codec::decode_envelope(last.seq, &bytes).expect("decoded");
        assert_eq!(&env, last);
    }
}
