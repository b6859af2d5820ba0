//! depot: a keyboard-driven terminal ERP for wholesale distributors.
//!
//! Module map (see `../shared/DESIGN.md` for the shape):
//! - [`core`]: pure workflow core. `decide(&State, &Command)` returns events
//!   or a typed `Rejection`; `apply(&mut State, &Envelope)` cannot fail.
//!   Master data, posting module, invariants (SPEC section 8), scan parser.
//! - `store`: sled used as an ordered, checksummed event log with snapshots.
//!   The only module that imports sled.
//! - `engine`: one writer thread and a flusher (pipelined group commit), idempotency, subscriptions.
//! - `io`: CSV import/export of master data, JSON-lines `exec`.
//! - `query`: view-models (lookups, counter sale preview, order life) for
//!   screens, reports and `serve`; no ratatui in them.
//! - `ui`: the ratatui screens (a `Screen` trait, one module per screen),
//!   keymaps, the session loop.
#![forbid(unsafe_code)]

/// `println!` for status lines that never panics: a reader that went away
/// (`depot bench ... | head -1`) loses the rest, nothing else.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that does not panic when stderr is closed (`depot print
/// --out - 2>&1 | head -1`): a message nobody can read is dropped.
#[macro_export]
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod archiver;
pub mod bench;
pub mod bench_docs;
pub mod bench_ledger;
pub mod bench_models;
pub mod bench_o2c;
pub mod bench_screens;
pub mod bench_serve;
pub mod check;
pub mod cli;
pub mod core;
pub mod docs;
pub mod engine;
pub mod fuzz;
pub mod history;
pub mod io;
pub mod large;
pub mod logging;
pub mod models;
pub mod query;
pub mod report;
pub mod serve;
pub mod store;
pub mod ui;
pub mod ui_backend;
