//! Channel policies as governed data (issue 20): a retail chain and an
//! industrial customer may need different promising, shipping, invoicing,
//! credit and service rules, as variations within one governed framework.
//!
//! A [`ChannelPolicy`] is set per (entity, channel). Customers of that
//! entity and channel inherit it and may override some of its attributes
//! within the limits it sets ([`CustomerOverrides`], kept beside the
//! customer record, whose own shape the log fixes). The first policy of an
//! (entity, channel) applies at once, as a new customer's credit limit
//! does; a change of it is a governed change a second person approves.
//! Without a policy, the customer's own record decides exactly as it
//! always did.
//!
//! [`effective`] is the one place that resolves what applies to a
//! customer, and says for every attribute which source decided it; an
//! order records that resolution when it is placed
//! (`Event::OrderPolicyRecorded`), and the order, release, late-shipment
//! and invoicing flows read the order's record.

use super::command::Command;
use super::event::{Change, Event};
use super::master::{Channel, Customer, RecordKind};
use super::rejection::Rejection;
use super::sales::SalesOrder;
use super::state::State;
use super::types::Code;
use crate::core::types::ToCode;
use chrono::{Datelike, NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Longest horizon or must-arrive window a policy may set, in days.
pub const POLICY_DAYS_MAX: u32 = 3650;
/// Highest credit-hold threshold, in percent of the credit limit.
pub const HOLD_THRESHOLD_PCT_MAX: u32 = 1000;

/// When a channel's shipments are invoiced by the invoicing run
/// (`InvoiceDue`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoicingPattern {
    /// Each shipment on its own invoice as soon as it has shipped.
    PerShipment,
    /// One invoice per customer for the shipments of days before the run.
    DailyConsolidated,
    /// One invoice per customer for the shipments of ISO weeks ended.
    WeeklyConsolidated,
    /// Each shipment on its own invoice once its delivery is confirmed.
    OnDelivery,
}

impl InvoicingPattern {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoicingPattern::PerShipment => "per_shipment",
            InvoicingPattern::DailyConsolidated => "daily_consolidated",
            InvoicingPattern::WeeklyConsolidated => "weekly_consolidated",
            InvoicingPattern::OnDelivery => "on_delivery",
        }
    }

    /// Does one invoice collect a customer's due shipments?
    pub fn consolidates(self) -> bool {
        matches!(
            self,
            InvoicingPattern::DailyConsolidated | InvoicingPattern::WeeklyConsolidated
        )
    }
}

/// What a customer of the channel may override, and how far. `None` (or
/// `false`): the attribute is the policy's, no override.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyLimits {
    #[serde(default)]
    pub backorders_overridable: bool,
    #[serde(default)]
    pub ship_complete_overridable: bool,
    #[serde(default)]
    pub invoicing_overridable: bool,
    /// Most grace days a customer may be given.
    #[serde(default)]
    pub grace_days_max: Option<u32>,
    /// Highest hold threshold (percent of the credit limit) a customer may get.
    #[serde(default)]
    pub hold_threshold_pct_max: Option<Decimal>,
    /// Longest backorder horizon a customer may get.
    #[serde(default)]
    pub horizon_days_max: Option<u32>,
    /// Shortest must-arrive window a customer may demand.
    #[serde(default)]
    pub must_arrive_days_min: Option<u32>,
}

/// The policy set of one channel in one entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelPolicy {
    pub entity: Code,
    pub channel: Channel,
    /// Promising: may what cannot be reserved be backordered?
    pub backorders: bool,
    /// Promising: are substitutes offered (shown to the clerk; depot has
    /// no substitution engine yet).
    #[serde(default)]
    pub substitutes: bool,
    /// Promising: a backorder is accepted only when promised within this
    /// many days of the order (none: any promise).
    #[serde(default)]
    pub horizon_days: Option<u32>,
    /// Shipping: hold release until every line can ship.
    pub ship_complete: bool,
    pub invoicing: InvoicingPattern,
    /// Credit: days past due tolerated before new orders go on hold.
    #[serde(default)]
    pub grace_days: u32,
    /// Credit: orders go on credit hold when the exposure would pass this
    /// percentage of the credit limit (100: the limit itself).
    #[serde(default = "hundred")]
    pub hold_threshold_pct: Decimal,
    /// Service: the time of day shipments must leave by, for the
    /// late-shipment judgement (none: the carrier service's cutoff).
    #[serde(default)]
    pub carrier_cutoff: Option<NaiveTime>,
    /// Service: days from order to the latest acceptable arrival.
    #[serde(default)]
    pub must_arrive_days: Option<u32>,
    #[serde(default)]
    pub limits: PolicyLimits,
}

fn hundred() -> Decimal {
    Decimal::from(100)
}

impl ChannelPolicy {
    /// `retail_chain/CA01`.
    pub fn key(&self) -> String {
        policy_name(&self.entity, self.channel)
    }
}

fn policy_name(entity: &str, channel: Channel) -> String {
    format!("{}/{entity}", channel.as_str())
}

/// A customer's own values for some of its policy's attributes (each
/// within the policy's limits). All `None`: no override.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerOverrides {
    #[serde(default)]
    pub backorders: Option<bool>,
    #[serde(default)]
    pub ship_complete: Option<bool>,
    #[serde(default)]
    pub invoicing: Option<InvoicingPattern>,
    #[serde(default)]
    pub grace_days: Option<u32>,
    #[serde(default)]
    pub hold_threshold_pct: Option<Decimal>,
    #[serde(default)]
    pub horizon_days: Option<u32>,
    #[serde(default)]
    pub must_arrive_days: Option<u32>,
}

impl CustomerOverrides {
    pub fn is_empty(&self) -> bool {
        *self == CustomerOverrides::default()
    }
}

/// Which source decided an attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The channel policy of (entity, channel).
    ChannelPolicy { entity: Code, channel: Channel },
    /// The customer's override, within the policy's limits.
    CustomerOverride,
    /// The customer record (no channel policy).
    CustomerRecord,
    /// depot's default (no channel policy, nothing on the customer).
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::ChannelPolicy { entity, channel } => {
                write!(f, "channel policy {}", policy_name(entity, *channel))
            }
            Source::CustomerOverride => f.write_str("customer override"),
            Source::CustomerRecord => f.write_str("customer record"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// A value and the source that decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided<T> {
    pub value: T,
    pub source: Source,
}

/// What applies to a customer (and, recorded, to an order), attribute by
/// attribute, with the source of each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effective {
    pub backorders: Decided<bool>,
    pub substitutes: Decided<bool>,
    pub horizon_days: Decided<Option<u32>>,
    pub ship_complete: Decided<bool>,
    pub invoicing: Decided<InvoicingPattern>,
    pub grace_days: Decided<u32>,
    pub hold_threshold_pct: Decided<Decimal>,
    pub carrier_cutoff: Decided<Option<NaiveTime>>,
    pub must_arrive_days: Decided<Option<u32>>,
}

impl Effective {
    /// One line per attribute: `backorders: no (channel policy retail_chain/CA01)`.
    pub fn lines(&self) -> Vec<String> {
        let yn = |b: bool| if b { "yes" } else { "no" };
        let days = |d: Option<u32>| d.map_or_else(|| "none".to_string(), |d| format!("{d} days"));
        vec![
            format!(
                "backorders: {} ({})",
                yn(self.backorders.value),
                self.backorders.source
            ),
            format!(
                "substitutes: {} ({})",
                yn(self.substitutes.value),
                self.substitutes.source
            ),
            format!(
                "backorder horizon: {} ({})",
                days(self.horizon_days.value),
                self.horizon_days.source
            ),
            format!(
                "ship complete: {} ({})",
                yn(self.ship_complete.value),
                self.ship_complete.source
            ),
            format!(
                "invoicing: {} ({})",
                self.invoicing.value.as_str(),
                self.invoicing.source
            ),
            format!(
                "grace days: {} ({})",
                self.grace_days.value, self.grace_days.source
            ),
            format!(
                "credit hold at: {}% of the limit ({})",
                self.hold_threshold_pct.value, self.hold_threshold_pct.source
            ),
            format!(
                "carrier cutoff: {} ({})",
                self.carrier_cutoff.value.map_or_else(
                    || "the service's".to_string(),
                    |t| t.format("%H:%M").to_string()
                ),
                self.carrier_cutoff.source
            ),
            format!(
                "must arrive within: {} ({})",
                days(self.must_arrive_days.value),
                self.must_arrive_days.source
            ),
        ]
    }
}

/// The policy of a customer's (entity, channel), if one is set.
pub fn policy_of<'a>(state: &'a State, c: &Customer) -> Option<&'a ChannelPolicy> {
    state.channel_policies.get(&(c.entity.clone(), c.channel))
}

/// What applies to customer `c`: its channel policy with its overrides,
/// else its own record (and depot's defaults where the record is silent).
pub fn effective(state: &State, c: &Customer) -> Effective {
    let Some(p) = policy_of(state, c) else {
        let rec = |_: ()| Source::CustomerRecord;
        return Effective {
            backorders: Decided {
                value: true,
                source: Source::Default,
            },
            substitutes: Decided {
                value: false,
                source: Source::Default,
            },
            horizon_days: Decided {
                value: None,
                source: Source::Default,
            },
            ship_complete: Decided {
                value: c.ship_policy.ship_complete,
                source: rec(()),
            },
            invoicing: Decided {
                value: InvoicingPattern::PerShipment,
                source: Source::Default,
            },
            grace_days: Decided {
                value: c.grace_days,
                source: rec(()),
            },
            hold_threshold_pct: Decided {
                value: hundred(),
                source: Source::Default,
            },
            carrier_cutoff: Decided {
                value: None,
                source: Source::Default,
            },
            must_arrive_days: Decided {
                value: c.ship_policy.must_arrive_within_days,
                source: rec(()),
            },
        };
    };
    let from_policy = Source::ChannelPolicy {
        entity: p.entity.clone(),
        channel: p.channel,
    };
    let none = CustomerOverrides::default();
    let o = state.policy_overrides.get(&c.code).unwrap_or(&none);
    fn pick<T: Clone>(over: Option<T>, policy: T, src: &Source) -> Decided<T> {
        match over {
            Some(v) => Decided {
                value: v,
                source: Source::CustomerOverride,
            },
            None => Decided {
                value: policy,
                source: src.clone(),
            },
        }
    }
    Effective {
        backorders: pick(o.backorders, p.backorders, &from_policy),
        substitutes: pick(None, p.substitutes, &from_policy),
        horizon_days: pick(o.horizon_days.map(Some), p.horizon_days, &from_policy),
        ship_complete: pick(o.ship_complete, p.ship_complete, &from_policy),
        invoicing: pick(o.invoicing, p.invoicing, &from_policy),
        grace_days: pick(o.grace_days, p.grace_days, &from_policy),
        hold_threshold_pct: pick(o.hold_threshold_pct, p.hold_threshold_pct, &from_policy),
        carrier_cutoff: pick(None, p.carrier_cutoff, &from_policy),
        must_arrive_days: pick(
            o.must_arrive_days.map(Some),
            p.must_arrive_days,
            &from_policy,
        ),
    }
}

/// What applies to an order: what was recorded when it was placed, else
/// (an order placed without a channel policy, or being placed now) its
/// customer's as it stands.
pub fn of_order(state: &State, o: &SalesOrder) -> Option<Effective> {
    if let Some(e) = state.order_policies.get(&o.number) {
        return Some(e.clone());
    }
    state
        .customers
        .get(&o.customer)
        .map(|c| effective(state, c))
}

/// The exposure above which a customer's orders go on credit hold.
pub fn hold_ceiling(state: &State, c: &Customer) -> Decimal {
    let pct = effective(state, c).hold_threshold_pct.value;
    if pct == hundred() {
        return c.credit_limit;
    }
    c.currency.cents(c.credit_limit * pct / hundred())
}

/// The event recording what decided an order's policies, when its
/// customer's channel has a policy (without one nothing is recorded: the
/// customer's record decides, as it always did).
pub fn recorded(state: &State, c: &Customer, number: &str) -> Option<Event> {
    policy_of(state, c)?;
    Some(Event::OrderPolicyRecorded {
        number: number.to_code(),
        policy: effective(state, c),
    })
}

/// Refuse an allocation the order's promising policy does not accept: a
/// backorder where the policy takes none, or a promise beyond its
/// horizon. `alloc` are the allocation's events for `o`.
pub fn check_promising(
    state: &State,
    o: &SalesOrder,
    alloc: &[Event],
    today: NaiveDate,
) -> Result<(), Rejection> {
    let Some(eff) = of_order(state, o) else {
        return Ok(());
    };
    for e in alloc {
        let Event::Backordered {
            number,
            line,
            qty,
            promise,
        } = e
        else {
            continue;
        };
        if number != o.number {
            continue;
        }
        let sku = o
            .lines
            .iter()
            .find(|l| l.line == *line)
            .map(|l| l.sku.clone())
            .unwrap_or_default();
        if !eff.backorders.value {
            return Err(Rejection::NoBackorders {
                customer: o.customer.to_string(),
                line: *line,
                sku: sku.to_string(),
                short: *qty,
                decided_by: eff.backorders.source.to_string(),
            });
        }
        if let Some(h) = eff.horizon_days.value {
            let latest = today + chrono::Duration::days(i64::from(h));
            if *promise > latest {
                return Err(Rejection::BeyondHorizon {
                    customer: o.customer.to_string(),
                    line: *line,
                    sku: sku.to_string(),
                    promise: *promise,
                    horizon_days: h,
                    decided_by: eff.horizon_days.source.to_string(),
                });
            }
        }
    }
    Ok(())
}

fn beyond(c: &Customer, p: &ChannelPolicy, field: &str, value: String, limit: String) -> Rejection {
    Rejection::OverrideBeyondLimit {
        customer: c.code.to_string(),
        field: field.to_string(),
        detail: format!("{value}: channel policy {} allows {limit}", p.key()),
    }
}

/// Are `o`'s overrides of customer `c` within `p`'s limits?
pub fn check_overrides(
    c: &Customer,
    p: &ChannelPolicy,
    o: &CustomerOverrides,
) -> Result<(), Rejection> {
    let l = &p.limits;
    let fixed = || "not overridable".to_string();
    if let Some(v) = o.backorders {
        if !l.backorders_overridable && v != p.backorders {
            return Err(beyond(c, p, "backorders", v.to_string(), fixed()));
        }
    }
    if let Some(v) = o.ship_complete {
        if !l.ship_complete_overridable && v != p.ship_complete {
            return Err(beyond(c, p, "ship_complete", v.to_string(), fixed()));
        }
    }
    if let Some(v) = o.invoicing {
        if !l.invoicing_overridable && v != p.invoicing {
            return Err(beyond(c, p, "invoicing", v.as_str().into(), fixed()));
        }
    }
    if let Some(v) = o.grace_days {
        match l.grace_days_max {
            Some(max) if v <= max => {}
            Some(max) => {
                return Err(beyond(
                    c,
                    p,
                    "grace_days",
                    v.to_string(),
                    format!("at most {max}"),
                ))
            }
            None if v == p.grace_days => {}
            None => return Err(beyond(c, p, "grace_days", v.to_string(), fixed())),
        }
    }
    if let Some(v) = o.hold_threshold_pct {
        super::validate::pct(
            "hold_threshold_pct",
            v,
            Decimal::from(HOLD_THRESHOLD_PCT_MAX),
        )?;
        match l.hold_threshold_pct_max {
            Some(max) if v <= max => {}
            Some(max) => {
                return Err(beyond(
                    c,
                    p,
                    "hold_threshold_pct",
                    v.to_string(),
                    format!("at most {max}"),
                ))
            }
            None if v == p.hold_threshold_pct => {}
            None => return Err(beyond(c, p, "hold_threshold_pct", v.to_string(), fixed())),
        }
    }
    if let Some(v) = o.horizon_days {
        match l.horizon_days_max {
            Some(max) if v <= max => {}
            Some(max) => {
                return Err(beyond(
                    c,
                    p,
                    "horizon_days",
                    v.to_string(),
                    format!("at most {max}"),
                ))
            }
            None if Some(v) == p.horizon_days => {}
            None => return Err(beyond(c, p, "horizon_days", v.to_string(), fixed())),
        }
    }
    if let Some(v) = o.must_arrive_days {
        match l.must_arrive_days_min {
            Some(min) if v >= min => {}
            Some(min) => {
                return Err(beyond(
                    c,
                    p,
                    "must_arrive_days",
                    v.to_string(),
                    format!("at least {min}"),
                ))
            }
            None if Some(v) == p.must_arrive_days => {}
            None => return Err(beyond(c, p, "must_arrive_days", v.to_string(), fixed())),
        }
    }
    Ok(())
}

fn check_days(field: &str, d: Option<u32>) -> Result<(), Rejection> {
    match d {
        Some(v) if v > POLICY_DAYS_MAX => {
            Err(Rejection::out_of_range(field, v, "0", POLICY_DAYS_MAX))
        }
        _ => Ok(()),
    }
}

/// Validate a policy against the master data, and every override of its
/// customers against its limits.
pub fn check_policy(state: &State, p: &ChannelPolicy) -> Result<(), Rejection> {
    super::validate::code("entity", &p.entity)?;
    if !state.entities.contains_key(&p.entity) {
        return Err(Rejection::NotFound {
            kind: RecordKind::Entity,
            key: p.entity.to_string(),
        });
    }
    check_days("horizon_days", p.horizon_days)?;
    check_days("grace_days", Some(p.grace_days))?;
    check_days("must_arrive_days", p.must_arrive_days)?;
    check_days("limits.grace_days_max", p.limits.grace_days_max)?;
    check_days("limits.horizon_days_max", p.limits.horizon_days_max)?;
    check_days("limits.must_arrive_days_min", p.limits.must_arrive_days_min)?;
    let pct_max = Decimal::from(HOLD_THRESHOLD_PCT_MAX);
    super::validate::pct("hold_threshold_pct", p.hold_threshold_pct, pct_max)?;
    if p.hold_threshold_pct.is_zero() {
        return Err(Rejection::NotPositive {
            field: "hold_threshold_pct".into(),
            value: p.hold_threshold_pct,
        });
    }
    if let Some(m) = p.limits.hold_threshold_pct_max {
        super::validate::pct("limits.hold_threshold_pct_max", m, pct_max)?;
    }
    // A limit below the policy's own value would refuse the policy's
    // customers what the policy itself gives them.
    if let Some(m) = p.limits.grace_days_max {
        if m < p.grace_days {
            return Err(Rejection::out_of_range(
                "limits.grace_days_max",
                m,
                p.grace_days,
                "any",
            ));
        }
    }
    for c in state
        .customers
        .values()
        .filter(|c| c.entity == p.entity && c.channel == p.channel)
    {
        if let Some(o) = state.policy_overrides.get(&c.code) {
            check_overrides(c, p, o)?;
        }
    }
    Ok(())
}

/// `CreateChannelPolicy` / `UpdateChannelPolicy`: a new policy applies at
/// once; a change of one is a governed change somebody else approves.
pub fn set_policy(
    state: &State,
    cmd: &Command,
    p: &ChannelPolicy,
    create: bool,
) -> Result<Vec<Event>, Rejection> {
    check_policy(state, p)?;
    let key = (p.entity.clone(), p.channel);
    match (state.channel_policies.get(&key), create) {
        (Some(_), true) => Err(Rejection::AlreadyExists {
            kind: RecordKind::ChannelPolicy,
            key: p.key(),
        }),
        (None, false) => Err(Rejection::NotFound {
            kind: RecordKind::ChannelPolicy,
            key: p.key(),
        }),
        (None, true) => Ok(vec![Event::ChannelPolicySet(p.clone())]),
        (Some(old), false) if old == p => Err(Rejection::NoChange),
        (Some(old), false) => {
            let fields = changed_fields(old, p);
            super::decide::request_change(state, cmd, Change::ChannelPolicy(p.clone()), fields)
        }
    }
}

fn changed_fields(old: &ChannelPolicy, new: &ChannelPolicy) -> Vec<String> {
    let mut f = Vec::new();
    let mut push = |changed: bool, name: &str| {
        if changed {
            f.push(name.to_string());
        }
    };
    push(old.backorders != new.backorders, "backorders");
    push(old.substitutes != new.substitutes, "substitutes");
    push(old.horizon_days != new.horizon_days, "horizon_days");
    push(old.ship_complete != new.ship_complete, "ship_complete");
    push(old.invoicing != new.invoicing, "invoicing");
    push(old.grace_days != new.grace_days, "grace_days");
    push(
        old.hold_threshold_pct != new.hold_threshold_pct,
        "hold_threshold_pct",
    );
    push(old.carrier_cutoff != new.carrier_cutoff, "carrier_cutoff");
    push(
        old.must_arrive_days != new.must_arrive_days,
        "must_arrive_days",
    );
    push(old.limits != new.limits, "limits");
    f
}

/// `SetCustomerOverrides`: a customer's own values within its channel
/// policy's limits (all empty: back to the policy).
pub fn set_overrides(
    state: &State,
    customer: &str,
    o: &CustomerOverrides,
) -> Result<Vec<Event>, Rejection> {
    let c = state
        .customers
        .get(&customer.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Customer,
            key: customer.to_string(),
        })?;
    let now = state
        .policy_overrides
        .get(&customer.to_code())
        .cloned()
        .unwrap_or_default();
    if now == *o {
        return Err(Rejection::NoChange);
    }
    if !o.is_empty() {
        let p = policy_of(state, c).ok_or_else(|| Rejection::NoChannelPolicy {
            customer: c.code.to_string(),
            entity: c.entity.to_string(),
            channel: c.channel.as_str().to_string(),
        })?;
        check_overrides(c, p, o)?;
    }
    Ok(vec![Event::CustomerOverridesSet {
        customer: c.code.clone(),
        overrides: o.clone(),
    }])
}

/// A customer moved to another entity or channel keeps no override its
/// new policy does not allow.
pub fn check_customer_move(state: &State, c: &Customer) -> Result<(), Rejection> {
    let Some(o) = state.policy_overrides.get(&c.code) else {
        return Ok(());
    };
    match policy_of(state, c) {
        Some(p) => check_overrides(c, p, o),
        None => Err(Rejection::NoChannelPolicy {
            customer: c.code.to_string(),
            entity: c.entity.to_string(),
            channel: c.channel.as_str().to_string(),
        }),
    }
}

/// `ConfirmDelivery`: the customer has the goods of a shipment.
pub fn confirm_delivery(
    state: &State,
    cmd: &Command,
    shipment: &str,
    date: Option<NaiveDate>,
) -> Result<Vec<Event>, Rejection> {
    let s = state
        .shipments
        .get(&shipment.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Shipment,
            key: shipment.to_string(),
        })?;
    if let Some(d) = state.deliveries.get(&shipment.to_code()) {
        return Err(Rejection::Duplicate {
            field: "delivery".into(),
            value: format!("{shipment} delivered {d}"),
        });
    }
    let date = date.unwrap_or_else(|| cmd.entity_date(state, &s.entity));
    if date < s.date {
        return Err(Rejection::InvalidDateRange {
            from: s.date,
            to: date,
        });
    }
    Ok(vec![Event::DeliveryConfirmed {
        shipment: shipment.to_code(),
        date,
        by: cmd.operator.clone(),
    }])
}

/// Is a shipment due for invoicing on `as_of` under `pattern`?
pub fn due(
    state: &State,
    pattern: InvoicingPattern,
    shipped: NaiveDate,
    shipment: &str,
    as_of: NaiveDate,
) -> bool {
    match pattern {
        InvoicingPattern::PerShipment => shipped <= as_of,
        InvoicingPattern::DailyConsolidated => shipped < as_of,
        InvoicingPattern::WeeklyConsolidated => {
            // The ISO week of the shipment has ended before `as_of`.
            let monday = shipped
                - chrono::Duration::days(i64::from(shipped.weekday().num_days_from_monday()));
            monday + chrono::Duration::days(7) <= as_of
        }
        InvoicingPattern::OnDelivery => state
            .deliveries
            .get(&shipment.to_code())
            .is_some_and(|d| *d <= as_of),
    }
}

/// The invoicing pattern a shipment follows: its order's.
pub fn pattern_of(state: &State, s: &super::warehouse::Shipment) -> InvoicingPattern {
    state
        .orders
        .get(&s.order)
        .and_then(|o| of_order(state, o))
        .map_or(InvoicingPattern::PerShipment, |e| e.invoicing.value)
}

/// `InvoiceDue`: invoice every uninvoiced shipment due on `as_of` under
/// its order's invoicing pattern: consolidated patterns one invoice per
/// customer (and currency), the others one per shipment.
pub fn invoice_due(
    state: &State,
    cmd: &Command,
    as_of: NaiveDate,
    customer: Option<&Code>,
) -> Result<Vec<Event>, Rejection> {
    use std::collections::BTreeMap;
    if let Some(c) = customer {
        if !state.customers.contains_key(c) {
            return Err(Rejection::NotFound {
                kind: RecordKind::Customer,
                key: c.to_string(),
            });
        }
    }
    // (customer, currency, pattern, shipment or none) -> shipments.
    let mut groups: BTreeMap<(Code, Code, InvoicingPattern, Option<Code>), Vec<Code>> =
        BTreeMap::new();
    for (cust, numbers) in state.index.uninvoiced.iter() {
        if customer.is_some_and(|c| c != cust) {
            continue;
        }
        for n in numbers {
            let Some(s) = state.shipments.get(n) else {
                continue;
            };
            if s.invoice.is_some() {
                continue;
            }
            let pattern = pattern_of(state, s);
            if !due(state, pattern, s.date, n, as_of) {
                continue;
            }
            let currency = state
                .orders
                .get(&s.order)
                .map(|o| o.currency.to_string())
                .unwrap_or_default();
            let alone = (!pattern.consolidates()).then(|| n.clone());
            groups
                .entry((cust.clone(), currency.into(), pattern, alone))
                .or_default()
                .push(n.clone());
        }
    }
    if groups.is_empty() {
        return Err(Rejection::NothingDue { as_of });
    }
    // Each invoice on a scratch state, so the next one is numbered after it.
    let mut scratch = state.clone();
    let mut out = Vec::new();
    for shipments in groups.into_values() {
        for chunk in shipments.chunks(super::billing::INVOICE_SHIPMENTS_MAX) {
            let events = super::billing::invoice(&scratch, cmd, chunk)?;
            let seq = scratch.seq;
            for e in &events {
                super::apply::apply_event(&mut scratch, seq, e);
            }
            out.extend(events);
        }
    }
    Ok(out)
}

/// The invariant `depot check` verifies: every override belongs to a
/// customer whose channel has a policy and is within its limits; recorded
/// policies and deliveries belong to existing orders and shipments.
pub fn check(state: &State) -> Result<(), String> {
    for (code, o) in state.policy_overrides.iter() {
        let c = state
            .customers
            .get(code)
            .ok_or_else(|| format!("overrides of unknown customer {code}"))?;
        let p = policy_of(state, c)
            .ok_or_else(|| format!("customer {code} has overrides but no channel policy"))?;
        check_overrides(c, p, o).map_err(|r| r.to_string())?;
    }
    if let Some(n) = state
        .order_policies
        .keys()
        .find(|n| !state.orders.contains_key(*n))
    {
        return Err(format!("policies recorded for unknown order {n}"));
    }
    if let Some(n) = state
        .deliveries
        .keys()
        .find(|n| !state.shipments.contains_key(*n))
    {
        return Err(format!("delivery of unknown shipment {n}"));
    }
    Ok(())
}

pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::ChannelPolicySet(p) => {
            state
                .channel_policies
                .insert((p.entity.clone(), p.channel), p.clone());
        }
        Event::CustomerOverridesSet {
            customer,
            overrides,
        } => {
            if overrides.is_empty() {
                state.policy_overrides.remove(customer);
            } else {
                state
                    .policy_overrides
                    .insert(customer.clone(), overrides.clone());
            }
        }
        Event::OrderPolicyRecorded { number, policy } => {
            state.order_policies.insert(number.clone(), policy.clone());
        }
        Event::DeliveryConfirmed { shipment, date, .. } => {
            state.deliveries.insert(shipment.clone(), *date);
        }
        _ => {}
    }
}
