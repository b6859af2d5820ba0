//! The pure core: commands in, events out, state applied. No I/O, no clock,
//! no randomness: time and ids come in with the command.

pub mod apply;
pub mod archive;
pub mod auth;
pub mod bank;
pub mod billing;
pub mod cash;
pub mod change;
pub mod channel;
pub mod code;
pub mod command;
pub mod counter;
pub mod counts;
pub mod decide;
pub mod dense;
pub mod event;
pub mod exceptions;
pub mod gs1_ai;
pub mod hashed;
pub mod invariants;
pub mod kpi;
pub mod landed;
pub mod ledger;
pub mod lots;
pub mod master;
pub mod memo;
pub mod numbers;
pub mod pack;
pub mod packed;
pub mod posting;
pub mod printing;
pub mod purchasing;
pub mod quality;
pub mod rejection;
pub mod replenish;
pub mod returns;
pub mod sales;
pub mod scan;
pub mod shared;
pub mod signin;
pub mod smallset;
pub mod state;
pub mod transfer;
pub mod types;
pub mod validate;
pub mod warehouse;
pub mod yearend;
pub mod zone;

pub use apply::apply;
pub use command::{Command, CommandBody};
pub use decide::decide;
pub use event::{Envelope, Event, KeyDigest, Outcome};
pub use rejection::Rejection;
pub use state::State;

/// Decide `cmd` against `state` and, if it commits, apply it as the next
/// log record: the in-memory form of what the engine does (the demo
/// builder, benchmarks and simulations use it). A rejection changes
/// nothing and is not logged.
pub fn execute(state: &mut State, cmd: &Command) -> Result<Envelope, Rejection> {
    let events = decide(state, cmd)?;
    let env = Envelope {
        seq: state.seq + 1,
        time: cmd.time,
        operator: cmd.operator.clone(),
        session: cmd.session.clone(),
        key: cmd.key.clone(),
        // Only a keyed command is ever compared by its digest.
        digest: if cmd.key.is_some() {
            cmd.body.digest()
        } else {
            event::KeyDigest::None
        },
        command: cmd.body.name().to_string(),
        outcome: Outcome::Committed(events),
    };
    apply(state, &env);
    Ok(env)
}

/// Helpers of the core's unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::{execute, Command, CommandBody, State};

    /// Commit `body` as ADMIN, then check every invariant.
    pub fn run(s: &mut State, body: CommandBody) {
        let cmd = Command {
            operator: "ADMIN".into(),
            session: "test".into(),
            time: chrono::Utc::now(),
            key: None,
            body,
        };
        execute(s, &cmd).expect("committed");
        super::invariants::check_state(s).expect("the invariants hold");
    }

    /// The demo's master data and opening stock, each command checked.
    pub fn demo(today: chrono::NaiveDate) -> State {
        let mut s = State::default();
        for body in crate::io::demo::commands(today, 0).expect("the demo") {
            run(&mut s, body);
        }
        s
    }
}
