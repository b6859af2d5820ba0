//! Sign-in: each operator's PIN or password (kept as a hash made at the
//! edge; the core never sees a secret), the sign-ins and failures as events
//! (the log is the audit trail), and the lockout after repeated failures.
//!
//! The edge (the TUI, later `depot serve`) verifies the typed secret
//! against the stored hash and submits `sign_in` with the result; the core
//! counts failures, locks the operator after [`FAILURES_BEFORE_LOCK`] of
//! them in a row for [`LOCK_MINUTES`], and refuses sign-ins while locked.
//! A supervisor with `manage_operators` unlocks or resets a password.

use super::command::Command;
use super::event::Event;
use super::rejection::Rejection;
use super::state::State;
use super::types::Code;
use crate::core::types::ToCode;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Failed sign-ins in a row that lock an operator.
pub const FAILURES_BEFORE_LOCK: u32 = 5;
/// How long a lock lasts unless a supervisor lifts it sooner.
pub const LOCK_MINUTES: i64 = 15;
/// The longest hash string accepted (an argon2 PHC string is ~100).
pub const HASH_LEN_MAX: usize = 256;
/// Longest station name kept with a sign-in.
pub const STATION_LEN_MAX: usize = 64;

/// An operator's stored secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// PHC string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`).
    pub hash: String,
    pub set_at: DateTime<Utc>,
    /// Who set it (the operator, or a supervisor resetting it).
    pub set_by: Code,
    /// Set by somebody else: the operator chooses a new one at sign-in.
    pub must_change: bool,
}

/// Sign-in history of one operator that the lockout needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRecord {
    /// Failures since the last success (or unlock).
    pub failures: u32,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
}

impl SignInRecord {
    /// Locked at `now`?
    pub fn locked_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }
}

/// Is `hash` shaped like a PHC string of argon2? (The core cannot check
/// more without the secret, which never reaches it.)
fn hash_problem(hash: &str) -> Option<String> {
    if hash.len() > HASH_LEN_MAX {
        return Some(format!("longer than {HASH_LEN_MAX} characters"));
    }
    let parts: Vec<&str> = hash.split('$').collect();
    let ok_alg = matches!(parts.get(1), Some(&("argon2id" | "argon2i" | "argon2d")));
    if !ok_alg || parts.len() != 6 || parts.iter().skip(1).any(|p| p.is_empty()) {
        return Some("not an argon2 PHC string ($argon2id$v=..$m=..,t=..,p=..$salt$hash)".into());
    }
    if !hash
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "$=,+/.-".contains(c))
    {
        return Some("holds characters a PHC string cannot".into());
    }
    None
}

fn operator_known(state: &State, code: &str) -> Result<(), Rejection> {
    if state.operators.contains_key(&code.to_code()) {
        Ok(())
    } else {
        Err(Rejection::NotFound {
            kind: super::master::RecordKind::Operator,
            key: code.chars().take(40).collect(),
        })
    }
}

/// `set_password`: an operator sets their own, or a supervisor with
/// `manage_operators` sets (resets) somebody else's, which the operator
/// must then change at sign-in.
pub fn set_password(
    state: &State,
    cmd: &Command,
    operator: &Code,
    hash: &str,
) -> Result<Vec<Event>, Rejection> {
    operator_known(state, operator)?;
    let own = *operator == cmd.operator;
    if !own {
        let roles = state
            .operators
            .get(&cmd.operator)
            .map(|o| o.roles.as_slice())
            .unwrap_or(&[]);
        let need = super::auth::Permission::ManageOperators;
        if !super::auth::allows(roles, need) {
            return Err(Rejection::NotPermitted {
                operator: cmd.operator.to_string(),
                permission: need,
            });
        }
    }
    if let Some(problem) = hash_problem(hash) {
        return Err(Rejection::BadCredential { problem });
    }
    if state
        .credentials
        .get(operator)
        .is_some_and(|c| c.hash == hash)
    {
        return Err(Rejection::NoChange);
    }
    Ok(vec![Event::PasswordSet {
        operator: operator.clone(),
        credential: Credential {
            hash: hash.to_string(),
            set_at: cmd.time,
            set_by: cmd.operator.clone(),
            must_change: !own,
        },
    }])
}

/// `sign_in`: the edge verified (or failed to verify) the operator's
/// secret. A success while the password must change, or without any
/// password, is refused: the edge sets one first.
pub fn sign_in(
    state: &State,
    cmd: &Command,
    verified: bool,
    station: &str,
    ssh_key: Option<&str>,
) -> Result<Vec<Event>, Rejection> {
    if station.chars().count() > STATION_LEN_MAX || station.chars().any(char::is_control) {
        return Err(Rejection::InvalidText {
            field: "station".into(),
            problem: format!("at most {STATION_LEN_MAX} printable characters"),
        });
    }
    let record = state
        .sign_ins
        .get(&cmd.operator)
        .cloned()
        .unwrap_or_default();
    if let Some(until) = record.locked_at(cmd.time) {
        return Err(Rejection::SignInLocked {
            operator: cmd.operator.to_string(),
            until,
        });
    }
    let station = station.to_string();
    if verified && ssh_key.is_some() {
        // Over SSH the key is the identity (the server checked it
        // against the operator's keys); no PIN is involved.
        return Ok(vec![Event::SignedIn {
            operator: cmd.operator.clone(),
            station,
            at: cmd.time,
            ssh_key: ssh_key.map(|k| k.chars().take(HASH_LEN_MAX).collect()),
        }]);
    }
    if verified {
        match state.credentials.get(&cmd.operator) {
            None => {
                return Err(Rejection::PasswordNeeded {
                    operator: cmd.operator.to_string(),
                })
            }
            Some(c) if c.must_change => {
                return Err(Rejection::PasswordNeeded {
                    operator: cmd.operator.to_string(),
                })
            }
            Some(_) => {}
        }
        return Ok(vec![Event::SignedIn {
            operator: cmd.operator.clone(),
            station,
            at: cmd.time,
            ssh_key: None,
        }]);
    }
    let failures = record.failures.saturating_add(1);
    let locked_until =
        (failures >= FAILURES_BEFORE_LOCK).then(|| cmd.time + Duration::minutes(LOCK_MINUTES));
    Ok(vec![Event::SignInFailed {
        operator: cmd.operator.clone(),
        station,
        at: cmd.time,
        failures,
        locked_until,
    }])
}

/// `unlock_operator`: lift a lock and forget the failures.
pub fn unlock(state: &State, operator: &Code) -> Result<Vec<Event>, Rejection> {
    operator_known(state, operator)?;
    match state.sign_ins.get(operator) {
        Some(r) if r.failures > 0 || r.locked_until.is_some() => {
            Ok(vec![Event::OperatorUnlocked {
                operator: operator.clone(),
            }])
        }
        _ => Err(Rejection::NoChange),
    }
}

/// `declare_demo`: mark a store as the demo distributor, where
/// `--operator` may skip the sign-in. Only while nothing has been sold,
/// bought or posted: a store in real use never becomes a demo.
pub fn declare_demo(state: &State) -> Result<Vec<Event>, Rejection> {
    let in_use = !state.orders.is_empty()
        || !state.purchase_orders.is_empty()
        || !state.invoices.is_empty()
        || state.ledger.entries > 0;
    if in_use {
        return Err(Rejection::DemoNeedsNewStore);
    }
    if state.demo {
        return Err(Rejection::NoChange);
    }
    Ok(vec![Event::DemoDeclared])
}

pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::PasswordSet {
            operator,
            credential,
        } => {
            state
                .credentials
                .insert(operator.clone(), credential.clone());
        }
        Event::SignedIn { operator, at, .. } => {
            let r = state.sign_ins.entry(operator.clone()).or_default();
            r.failures = 0;
            r.locked_until = None;
            r.last_success = Some(*at);
        }
        Event::SignInFailed {
            operator,
            at,
            failures,
            locked_until,
            ..
        } => {
            let r = state.sign_ins.entry(operator.clone()).or_default();
            r.failures = *failures;
            r.locked_until = *locked_until;
            r.last_failure = Some(*at);
        }
        Event::OperatorUnlocked { operator } => {
            if let Some(r) = state.sign_ins.get_mut(operator) {
                r.failures = 0;
                r.locked_until = None;
            }
        }
        Event::DemoDeclared => state.demo = true,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phc_strings_are_checked_for_shape() {
        assert!(hash_problem("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g").is_none());
        assert!(hash_problem("secret").is_some());
        assert!(hash_problem("$bcrypt$v=19$m=1,t=1,p=1$a$b").is_some());
        assert!(hash_problem("$argon2id$v=19$m=1,t=1,p=1$$b").is_some());
        assert!(hash_problem(&format!("$argon2id$v=19$m=1$a${}", "x".repeat(300))).is_some());
        assert!(hash_problem("$argon2id$v=19$m=1,t=1,p=1$a b$c").is_some());
    }

    #[test]
    fn a_lock_ends_at_its_time() {
        let t = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let r = SignInRecord {
            failures: 5,
            locked_until: Some(t),
            ..Default::default()
        };
        assert_eq!(r.locked_at(t - Duration::seconds(1)), Some(t));
        assert_eq!(r.locked_at(t), None);
    }
}
