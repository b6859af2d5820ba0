//! The pure core: commands in, events out, state applied. No I/O, no clock,
//! no randomness: time and ids come in with the command.

pub mod apply;
pub mod auth;
pub mod command;
pub mod decide;
pub mod event;
pub mod invariants;
pub mod master;
pub mod posting;
pub mod rejection;
pub mod scan;
pub mod state;
pub mod types;
pub mod validate;

pub use apply::apply;
pub use command::{Command, CommandBody};
pub use decide::decide;
pub use event::{Envelope, Event, Outcome};
pub use rejection::Rejection;
pub use state::State;
