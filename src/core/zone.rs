//! Business dates are local dates (SPEC 2; issue 16). Entities and
//! warehouses carry an IANA time zone; a command's business date is the
//! local date of its (UTC) timestamp where it happens: the warehouse for
//! stock and shipping, the entity for finance. Pure: the zone history is
//! in the state, the timestamp comes with the command.
//!
//! A place's zone is a history of (effective date, zone). Stores written
//! before time zones existed have no history and keep UTC days. Setting a
//! zone never rewrites the past: the new zone applies to a timestamp only
//! when its local date in the new zone is on or after the effective date,
//! so every timestamp already dated keeps its date, and dates never go
//! backwards at the switch. A warehouse without a zone of its own dates
//! as its entity does.

use super::command::Command;
use super::event::{Change, Event};
use super::master::RecordKind;
use super::rejection::Rejection;
use super::state::State;
use super::types::Code;
use crate::core::types::ToCode;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

type D = Result<Vec<Event>, Rejection>;

/// Where a command happens, for its business date.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    Entity(Code),
    Warehouse(Code),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Entity(c) => write!(f, "entity {c}"),
            Place::Warehouse(c) => write!(f, "warehouse {c}"),
        }
    }
}

/// One step of a place's zone history: `zone` from `from` on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneFrom {
    pub from: NaiveDate,
    /// IANA name, e.g. `America/Chicago`.
    pub zone: String,
}

/// The zone named, or why not.
pub fn parse(zone: &str) -> Result<Tz, Rejection> {
    zone.parse::<Tz>().map_err(|_| Rejection::UnknownTimeZone {
        zone: zone.chars().take(60).collect(),
    })
}

/// The zone in force for `place` at `t` and the wall-clock time there, if
/// the place has a history of its own that covers `t`.
fn own_zone(state: &State, place: &Place, t: DateTime<Utc>) -> Option<(Tz, NaiveDateTime)> {
    let history = state.zones.get(place)?;
    for z in history.iter().rev() {
        if let Ok(tz) = z.zone.parse::<Tz>() {
            let local = t.with_timezone(&tz).naive_local();
            if local.date() >= z.from {
                return Some((tz, local));
            }
        }
    }
    None
}

/// The zone in force for `place` at `t` and the wall-clock time there
/// (None: UTC days): a warehouse without a zone of its own keeps its
/// entity's.
fn zone_and_local(state: &State, place: &Place, t: DateTime<Utc>) -> Option<(Tz, NaiveDateTime)> {
    if let Some(z) = own_zone(state, place, t) {
        return Some(z);
    }
    match place {
        Place::Entity(_) => None,
        Place::Warehouse(w) => {
            let entity = state.warehouses.get(w)?.entity.clone();
            own_zone(state, &Place::Entity(entity), t)
        }
    }
}

/// The zone in force for `place` at `t`; None means UTC days.
pub fn zone_at(state: &State, place: &Place, t: DateTime<Utc>) -> Option<Tz> {
    zone_and_local(state, place, t).map(|(tz, _)| tz)
}

/// Local wall-clock time of `t` at `place`.
pub fn local_time(state: &State, place: &Place, t: DateTime<Utc>) -> NaiveDateTime {
    zone_and_local(state, place, t).map_or_else(|| t.naive_utc(), |(_, local)| local)
}

/// The business date of `t` at `place`.
pub fn local_date(state: &State, place: &Place, t: DateTime<Utc>) -> NaiveDate {
    local_time(state, place, t).date()
}

/// The UTC instant of local wall-clock `local` at `place` (zone in force
/// at `near`). A time a DST change skips is read an hour later; a time it
/// repeats is its first occurrence.
pub fn to_utc(
    state: &State,
    place: &Place,
    near: DateTime<Utc>,
    local: NaiveDateTime,
) -> NaiveDateTime {
    match zone_at(state, place, near) {
        None => local,
        Some(tz) => tz
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|d| d.naive_utc())
            .unwrap_or(local),
    }
}

/// "Today" for a report at `now`: the entity's local date, or with no
/// entity named the latest local date of any entity (so nothing dated
/// today anywhere is taken for the future); UTC days without zones.
pub fn today(state: &State, entity: Option<&str>, now: DateTime<Utc>) -> NaiveDate {
    match entity {
        Some(e) => entity_date(state, e, now),
        None => state
            .entities
            .keys()
            .map(|e| entity_date(state, e, now))
            .max()
            .unwrap_or_else(|| now.date_naive()),
    }
}

/// The business date of an entity at `t`.
pub fn entity_date(state: &State, entity: &str, t: DateTime<Utc>) -> NaiveDate {
    local_date(state, &Place::Entity(entity.into()), t)
}

/// The business date of a warehouse at `t`.
pub fn warehouse_date(state: &State, warehouse: &str, t: DateTime<Utc>) -> NaiveDate {
    local_date(state, &Place::Warehouse(warehouse.into()), t)
}

impl Command {
    /// The command's business date in `entity` (finance).
    pub fn entity_date(&self, state: &State, entity: &str) -> NaiveDate {
        entity_date(state, entity, self.time)
    }
    /// The command's business date at `warehouse` (stock and shipping).
    pub fn warehouse_date(&self, state: &State, warehouse: &str) -> NaiveDate {
        warehouse_date(state, warehouse, self.time)
    }
}

fn place_of(entity: &Option<Code>, warehouse: &Option<Code>) -> Result<Place, Rejection> {
    match (entity, warehouse) {
        (Some(e), None) => Ok(Place::Entity(e.clone())),
        (None, Some(w)) => Ok(Place::Warehouse(w.clone())),
        _ => Err(Rejection::InvalidText {
            field: "entity".into(),
            problem: "name either an entity or a warehouse".into(),
        }),
    }
}

fn entity_of(state: &State, place: &Place) -> Result<Code, Rejection> {
    match place {
        Place::Entity(e) => state
            .entities
            .get(e)
            .map(|x| x.code.clone())
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::Entity,
                key: e.chars().take(40).collect(),
            }),
        Place::Warehouse(w) => state
            .warehouses
            .get(w)
            .map(|x| x.entity.clone())
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::Warehouse,
                key: w.chars().take(40).collect(),
            }),
    }
}

/// Nothing has been dated at the place yet: its entity has posted no
/// journal entry and holds no order, and (a warehouse) it has no stock.
fn fresh(state: &State, place: &Place, entity: &str) -> bool {
    let no_journals = state
        .ledger
        .daily_entries
        .range((entity.to_code(), NaiveDate::MIN)..)
        .next()
        .is_none_or(|((e, _), _)| e != entity);
    let no_orders = !state.orders.values_any_order().any(|o| o.entity == entity);
    let no_stock = match place {
        Place::Entity(_) => true,
        Place::Warehouse(w) => !state.stock.keys().any(|(x, _)| x == w),
    };
    no_journals && no_orders && no_stock
}

/// The earliest effective date a zone change may take at `t`: the day
/// after today, in the zone in force and in the new one, so that no
/// timestamp already dated is dated again differently.
fn earliest(state: &State, place: &Place, tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    let now_old = local_date(state, place, t);
    let now_new = t.with_timezone(&tz).date_naive();
    now_old.max(now_new).succ_opt().unwrap_or(now_old)
}

/// `set_time_zone`: a place with nothing dated yet takes its zone at once
/// (from the beginning); any other place's zone is a governed change,
/// effective from a future date (tomorrow unless given), that somebody
/// other than who asked approves.
pub fn set(
    state: &State,
    cmd: &Command,
    entity: &Option<Code>,
    warehouse: &Option<Code>,
    zone: &str,
    from: Option<NaiveDate>,
) -> D {
    let place = place_of(entity, warehouse)?;
    let owner = entity_of(state, &place)?;
    let tz = parse(zone)?;
    let zone = tz.name().to_string();
    if state
        .zones
        .get(&place)
        .and_then(|h| h.last())
        .is_some_and(|z| z.zone == zone)
    {
        return Err(Rejection::NoChange);
    }
    if fresh(state, &place, &owner) && state.zones.get(&place).is_none() {
        return Ok(vec![Event::TimeZoneSet {
            place,
            zone,
            from: from.unwrap_or(NaiveDate::MIN),
        }]);
    }
    let first = earliest(state, &place, tz, cmd.time);
    let from = from.unwrap_or(first);
    if from < first {
        return Err(Rejection::TimeZoneRetroactive {
            place: place.to_string(),
            from,
            earliest: first,
        });
    }
    let change = Change::TimeZone { place, zone, from };
    super::decide::request_change(state, cmd, change, vec!["time_zone".into()])
}

/// At approval: the change is still not retroactive.
pub fn approved(
    state: &State,
    cmd: &Command,
    place: &Place,
    zone: &str,
    from: NaiveDate,
) -> Result<Event, Rejection> {
    entity_of(state, place)?;
    let tz = parse(zone)?;
    let first = earliest(state, place, tz, cmd.time);
    if from < first {
        return Err(Rejection::TimeZoneRetroactive {
            place: place.to_string(),
            from,
            earliest: first,
        });
    }
    Ok(Event::TimeZoneSet {
        place: place.clone(),
        zone: zone.to_string(),
        from,
    })
}

pub fn apply_event(state: &mut State, event: &Event) {
    if let Event::TimeZoneSet { place, zone, from } = event {
        let h = state.zones.entry(place.clone()).or_default();
        h.retain(|z| z.from < *from);
        h.push(ZoneFrom {
            from: *from,
            zone: zone.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn utc_until_a_zone_is_set_and_never_backwards_at_the_switch() {
        let mut s = State::default();
        let p = Place::Entity("US01".into());
        assert_eq!(
            local_date(&s, &p, at("2026-01-31T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default()
        );
        let from = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap_or_default();
        apply_event(
            &mut s,
            &Event::TimeZoneSet {
                place: p.clone(),
                zone: "America/Chicago".into(),
                from,
            },
        );
        // Before the switch: UTC days, as they were dated.
        assert_eq!(
            local_date(&s, &p, at("2026-01-31T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default()
        );
        // 2026-02-01 03:00 UTC is still Jan 31 in Chicago: the old rule
        // (UTC) dates it Feb 1, never back to Jan 31.
        assert_eq!(local_date(&s, &p, at("2026-02-01T03:00:00Z")), from);
        // 2026-03-01 05:30 UTC is Feb 28 23:30 in Chicago.
        assert_eq!(
            local_date(&s, &p, at("2026-03-01T05:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap_or_default()
        );
    }

    #[test]
    fn unknown_zone_is_refused() {
        assert!(matches!(
            parse("America/Atlantis"),
            Err(Rejection::UnknownTimeZone { .. })
        ));
        assert!(parse("America/Toronto").is_ok());
    }
}
