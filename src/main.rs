//! `depot`: clap wiring only; the work is in `depot::cli`.
#![forbid(unsafe_code)]

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = depot::cli::Args::parse();
    match depot::cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            depot::say_err!("depot: {e:#}");
            ExitCode::from(1)
        }
    }
}
