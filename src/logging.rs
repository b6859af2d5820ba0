//! Logging to a file in the data directory, never to the screen (the TUI
//! owns the terminal). `DEPOT_LOG` sets the filter (default `info`).

use anyhow::{Context, Result};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;

/// Route `tracing` to `DIR/depot.log`. Idempotent: a second call is a no-op.
pub fn to_file(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("depot.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(crate::store::privacy::FILE_MODE)
        .open(&path)
        .with_context(|| format!("opening the log file {}", path.display()))?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("DEPOT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
    Ok(())
}
