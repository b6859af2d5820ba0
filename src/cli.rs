//! The command-line edge (SPEC section 7). Errors get context here; the core
//! stays typed. Names of subcommands and flags are a contract: add freely,
//! rename nothing without an alias.

use crate::core::types::ToCode;
use crate::core::{CommandBody, Envelope, Outcome};
use crate::engine::{Engine, EngineConfig, EngineError, Reply, Submission};
use crate::io::activity::StepError;
use crate::store::Store;
use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "depot",
    version,
    about = "A keyboard-driven terminal ERP for wholesale distributors"
)]
pub struct Args {
    /// Where the store lives (default: $XDG_DATA_HOME/depot or ~/.local/share/depot).
    #[arg(long, global = true, env = "DEPOT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Operator for local use (sign-in is skipped in the TUI; default operator of `exec`;
    /// who `import` and `print` run as, which they need).
    #[arg(long, global = true, env = "DEPOT_OPERATOR")]
    pub operator: Option<String>,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Create a demo store with the demo distributor's master data and stock;
    /// `--scale large` adds a year of history through the engine (100,000
    /// items, 10,000 customers, 1,000,000 order lines unless told
    /// otherwise; a year per million lines, closed orders archived after
    /// 90 days as it goes).
    Demo {
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, value_enum, default_value_t = Scale::Small)]
        scale: Scale,
        /// `--scale large`: generated items.
        #[arg(long)]
        items: Option<u64>,
        /// `--scale large`: generated customers.
        #[arg(long)]
        customers: Option<u64>,
        /// `--scale large`: order lines of history.
        #[arg(long)]
        order_lines: Option<u64>,
        /// `--scale large`: concurrent submitters writing the history.
        #[arg(long)]
        submitters: Option<usize>,
        /// `--scale large`: archive closed orders older than this many days
        /// as the history is written (`90d`, the default), or `never`.
        #[arg(long, value_parser = parse_archive_after)]
        archive_after: Option<ArchiveAfter>,
        /// `--scale large`: days of history (default a year per million
        /// order lines, at least a year; 1 to 36500).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=36_500))]
        days: Option<u32>,
        /// Add a business in motion (orders in every state, open invoices
        /// in every aging bucket, purchase orders, a return), as the first
        /// start of the TUI does.
        #[arg(long)]
        activity: bool,
        /// A past worth learning from: months of seeded history (`12m`,
        /// 1 to 36) ending today, every event a command (seasonal and
        /// intermittent demand, late payers and disputes, carriers that
        /// miss cutoffs); `depot report models` measures the models on it.
        #[arg(long, value_parser = crate::history::parse_months)]
        history: Option<u32>,
        /// `--history`: its last day (default today); with the seed, the
        /// same figures every time (docs/models.md).
        #[arg(long, requires = "history")]
        history_end: Option<chrono::NaiveDate>,
    },
    /// Create an empty store with one admin operator.
    Init {
        /// Code of the first (admin) operator.
        #[arg(long, default_value = "ADMIN")]
        admin: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
    /// Set OPERATOR's PIN or password, read from the first line of stdin
    /// (hashed with argon2id; the secret is never stored). Done as
    /// --operator: a supervisor resetting it (the operator chooses a new
    /// one at the next sign-in) or, without --operator, the operator.
    Passwd {
        #[arg(value_name = "OPERATOR")]
        code: String,
    },
    /// Lift OPERATOR's sign-in lock (as --operator, with manage_operators).
    Unlock {
        #[arg(value_name = "OPERATOR")]
        code: String,
    },
    /// Own the store and serve every operator over SSH (public keys of
    /// operators only): the screens (resumed after a dropped link), and
    /// `report`, `exec -`, `check`, `export`, `import` and `backup` as
    /// commands. Stops cleanly on SIGTERM or Ctrl-C.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:2222")]
        listen: String,
        /// Print the host key's fingerprint and exit.
        #[arg(long)]
        fingerprint: bool,
        /// Close a connection idle this many seconds.
        #[arg(long, default_value_t = 3600)]
        idle_timeout: u64,
        /// Keep a screen session whose link went this many seconds for its
        /// operator's next login, which lands where it was (0: not kept).
        #[arg(long, default_value_t = crate::serve::RESUME_WINDOW_SECS)]
        resume_window: u64,
        /// Archive closed orders (with their pick lists, shipments,
        /// invoices and receipts) once older than this many days (`365d`),
        /// as --operator (who needs close_periods): now, then every
        /// --archive-every, in batches of 100. `never` (the default) keeps
        /// every document in memory.
        #[arg(long, value_parser = parse_archive_after, default_value = "never")]
        archive_after: ArchiveAfter,
        /// How often `--archive-after` looks for orders come of age (`1h`, `30m`, `90s`).
        #[arg(long, value_parser = parse_every, default_value = "1h")]
        archive_every: std::time::Duration,
    },
    /// Run JSON-lines commands from FILE (or - for stdin); one outcome line per command.
    Exec {
        #[arg(default_value = "-")]
        file: String,
    },
    /// Import master data from CSV: KIND is one of `depot import --help`
    /// kinds; FILE `-` (the default) reads stdin.
    Import {
        /// A kind, or `auto`: the kind the file is classified as (refused
        /// below the confidence threshold; docs/models.md).
        kind: String,
        #[arg(default_value = "-")]
        file: PathBuf,
        /// Print which kind the file is and which customer or supplier it
        /// names, with a confidence and the reasons; import nothing
        /// (`depot import --classify FILE`).
        #[arg(long)]
        classify: bool,
    },
    /// Export master data as CSV, `events` as JSON lines, `journal` as an
    /// hledger or beancount journal, or `gl` (journal lines) as CSV.
    Export {
        kind: String,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        #[arg(long)]
        out: Option<PathBuf>,
        /// `journal` and `gl`: only this entity's ledger.
        #[arg(long)]
        entity: Option<String>,
    },
    /// Replay the log, verify checksums and every invariant; print what was verified.
    Check,
    /// A report (`depot report list` names them all).
    Report {
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Only this entity.
        #[arg(long)]
        entity: Option<String>,
        /// The day the report is as of (aging, the period of pl, balance
        /// sheet and close checklist); default today.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// `statement`: the customer.
        #[arg(long)]
        customer: Option<String>,
        /// `margin`: by customer, channel or item; `kpi`: by entity,
        /// warehouse, channel or customer.
        #[arg(long)]
        by: Option<String>,
        /// `kpi`: the month, YYYY-MM (default this month).
        #[arg(long)]
        period: Option<String>,
        /// `trial-balance`, `pl`, `balance-sheet`: every entity consolidated
        /// in this currency (closing and average rates, eliminations).
        #[arg(long)]
        currency: Option<String>,
        /// `gl`: only this account.
        #[arg(long)]
        account: Option<String>,
        /// `gl`: only the journal lines of this document (the drill from a
        /// document to its postings); `audit`: only the log records that
        /// name a document or record key containing this (any case).
        #[arg(long)]
        doc: Option<String>,
        /// `gl`: journal entries dated from this day; `audit`: log records
        /// from this day (UTC) on.
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// `audit`: log records up to and including this day (UTC).
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        /// `audit`: only what this operator did (`--operator` is who runs
        /// the report).
        #[arg(long)]
        who: Option<String>,
        /// `audit`: only the log records of sessions whose name contains this.
        #[arg(long)]
        session: Option<String>,
    },
    /// Write a consistent copy of the store to DEST (an empty or new
    /// directory); while `depot serve` runs, online through it.
    Backup { dest: PathBuf },
    /// Restore a backup from SRC into the data directory (which must not hold a store).
    Restore { src: PathBuf },
    /// Print a document: KIND is invoice, credit-memo, acknowledgment
    /// (quote or order), statement (DOC: the customer), purchase-order,
    /// pick-ticket, packing-slip or carton-label (DOC: PICKLIST/N),
    /// bill-of-lading (DOC: the shipment). To a printer (--printer, or the
    /// station's or operator's default) or a file (--out, `-` for stdout).
    /// A reprint is built from the state of the first print and marked
    /// COPY; every print, printed or failed, is in the audit trail, as
    /// --operator's (which it needs).
    Print {
        kind: String,
        doc: String,
        #[arg(long, value_enum)]
        format: Option<DocFormat>,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        printer: Option<String>,
        /// The station printed from (its default printer first), in the
        /// operator's default warehouse, or WAREHOUSE/STATION.
        #[arg(long)]
        station: Option<String>,
        /// The statement's date (default today).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Measure throughput and reopen time (see docs/performance.md).
    Bench {
        #[command(subcommand)]
        which: BenchCmd,
    },
    /// Move closed orders (every line shipped or cancelled, every invoice
    /// paid in full, nothing open pointing at them) and their pick lists,
    /// shipments, invoices and receipts out of memory into the store's
    /// archive (as --operator, with close_periods); the order inquiry and
    /// `--show` read them from there. The bank statement lines of
    /// reconciled periods ended before the day go too, with the book items
    /// they cleared.
    Archive {
        /// Archive what is dated before this day (default: --older-than).
        #[arg(long)]
        before: Option<chrono::NaiveDate>,
        /// Archive what is older than this many days (`365d` or `365`).
        #[arg(long, default_value = "365d")]
        older_than: String,
        /// At most this many orders (default 1,000; at most 10,000).
        #[arg(long)]
        max: Option<u32>,
        /// Print the archived order NUMBER and its documents (JSON)
        /// instead of archiving (NUMBER may be the order's or that of its
        /// pick list, shipment, invoice or receipt); or a bank statement
        /// line (`BL-`) with the book items it cleared, or a book item
        /// (`BK-`).
        #[arg(long, value_name = "NUMBER")]
        show: Option<String>,
    },
}

/// `--archive-after`: days, or never (`None`).
#[derive(Clone, Copy, Debug)]
pub struct ArchiveAfter(Option<u32>);

/// A number of days, `365` or `365d` (`--older-than`, `--archive-after`).
fn days_of(s: &str) -> Option<u32> {
    s.trim().trim_end_matches('d').parse().ok()
}

fn parse_every(s: &str) -> std::result::Result<std::time::Duration, String> {
    let t = s.trim();
    let (n, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let secs = match (n.parse::<u64>(), unit) {
        (Ok(n), "s") => Some(n),
        (Ok(n), "m") => n.checked_mul(60),
        (Ok(n), "h") => n.checked_mul(3600),
        _ => None,
    };
    match secs {
        Some(secs) if (1..=7 * 86_400).contains(&secs) => Ok(std::time::Duration::from_secs(secs)),
        _ => Err(format!(
            "{s:?} is not a period from 1s to 168h (e.g. 1h, 30m, 90s)"
        )),
    }
}

fn parse_archive_after(s: &str) -> std::result::Result<ArchiveAfter, String> {
    if s.trim().eq_ignore_ascii_case("never") {
        return Ok(ArchiveAfter(None));
    }
    match days_of(s) {
        Some(days) if days <= 36_500 => Ok(ArchiveAfter(Some(days))),
        _ => Err(format!(
            "{s:?} is not a number of days up to 36500 (e.g. 90d) or `never`"
        )),
    }
}

#[derive(Subcommand, Debug)]
pub enum BenchCmd {
    /// Many SSH sessions on one `depot serve` (loopback, a fresh demo
    /// store): keystroke to frame p50/p99, commands/s, memory per session.
    Serve {
        #[arg(long, default_value_t = 200)]
        sessions: usize,
        #[arg(long, default_value_t = 4)]
        committers: usize,
        #[arg(long, default_value_t = 20)]
        keys: usize,
        #[arg(long, default_value_t = 200)]
        think_ms: u64,
        /// Also a handheld (PICK1 at 40x16) scanning this many picks
        /// (bin, item) while the others type and commit: scan to screen
        /// updated at the client, durable commits.
        #[arg(long, default_value_t = 0)]
        rf: usize,
        /// Run on this store instead of a fresh demo. It is changed (client
        /// keys, bench orders, picks): give it a copy.
        #[arg(long)]
        on: Option<PathBuf>,
    },
    /// Key event to finished frame (p50/p99) on the store in --data-dir:
    /// item lookup per keystroke, adding an order line, opening an order.
    Screens {
        #[arg(long, default_value_t = 200)]
        rounds: usize,
        /// Instead: scan to screen updated on the Pick screen, committing
        /// real picks durably (releases waves first): run it on a copy.
        #[arg(long)]
        rf: bool,
    },
    /// Durable master-data commands/s with K concurrent submitters.
    Commands {
        #[arg(long, default_value_t = 20_000)]
        count: u64,
        #[arg(long, default_value_t = 1)]
        submitters: usize,
        /// Flush before acknowledging (the default); --no-durable keeps the store in a temp dir anyway.
        #[arg(long, default_value_t = true)]
        durable: bool,
    },
    /// Full order-to-cash cycles/s in memory; with --durable also through
    /// the engine and the store with K submitters.
    O2c {
        #[arg(long, default_value_t = 20_000)]
        cycles: u64,
        #[arg(long)]
        durable: bool,
        #[arg(long, default_value_t = 64)]
        submitters: usize,
        /// In memory, keep a copy of the state every N commands, as the
        /// engine publishes one after every batch (0: never): what the
        /// maps' copy on write costs at that batch size.
        #[arg(long, default_value_t = 0)]
        publish_every: u64,
    },
    /// Trial balance and AR aging on a store of at least N journal lines,
    /// and `hledger bal` on the same ledger exported.
    Ledger {
        #[arg(long, default_value_t = 1_000_000)]
        lines: u64,
        /// Build the store here (an empty directory) and keep it.
        #[arg(long)]
        keep: Option<PathBuf>,
    },
    /// Time to reopen a store of N events, with and without a snapshot.
    Reopen {
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
    },
    /// Time to build and render documents (text and PDF): an invoice of
    /// 5 lines and a statement of N open items, in memory.
    Documents {
        #[arg(long, default_value_t = 200)]
        rounds: usize,
        #[arg(long, default_value_t = 200)]
        open_items: usize,
    },
    /// Training and scoring time of each model (docs/models.md) on the
    /// store in --data-dir, reopened (`depot demo --history 12m` makes one).
    Models {
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
}

/// Output format of `depot print`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocFormat {
    Pdf,
    Text,
    Zpl,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Small,
    Large,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    /// `depot export journal` only.
    Hledger,
    /// `depot export journal` only.
    Beancount,
}

/// The data directory: the flag, else $XDG_DATA_HOME/depot, else ~/.local/share/depot.
pub fn data_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(d) = flag {
        return Ok(d);
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(x).join("depot"));
    }
    let home = std::env::var_os("HOME").ok_or_else(|| {
        anyhow!("neither --data-dir, DEPOT_DATA_DIR, XDG_DATA_HOME nor HOME is set")
    })?;
    Ok(PathBuf::from(home).join(".local/share/depot"))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let dir = data_dir(args.data_dir.clone())?;
    if let Some(code) = through_running_server(&dir, &args)? {
        return Ok(code);
    }
    match args.command {
        None => tui(&dir, args.operator),
        Some(Cmd::Demo {
            seed,
            scale,
            items,
            customers,
            order_lines,
            submitters,
            archive_after,
            days,
            activity,
            history,
            history_end,
        }) => {
            if let Some(months) = history {
                if scale == Scale::Large || activity {
                    bail!("--history builds its own store: not with --scale large or --activity");
                }
                refuse_existing(&dir)?;
                let spec = crate::history::HistorySpec::new(
                    months,
                    seed,
                    history_end.unwrap_or_else(|| chrono::Utc::now().date_naive()),
                );
                let h = crate::history::generate(spec)?;
                let n = crate::history::write(&dir, &h)?;
                crate::say!(
                    "created the demo distributor with {months} months of history in {} \
                     ({n} commands, {} orders, {} order lines, from {})",
                    dir.display(),
                    h.orders,
                    h.order_lines,
                    h.start
                );
                return Ok(ExitCode::SUCCESS);
            }
            if scale == Scale::Large {
                refuse_existing(&dir)?;
                let d = crate::large::Spec::large(seed);
                let spec = crate::large::Spec {
                    items: items.unwrap_or(d.items),
                    customers: customers.unwrap_or(d.customers),
                    order_lines: order_lines.unwrap_or(d.order_lines),
                    submitters: submitters.unwrap_or(d.submitters),
                    archive_after: archive_after.map_or(d.archive_after, |a| a.0),
                    days,
                    ..d
                };
                let built = crate::large::build(&dir, spec)?;
                crate::say!(
                    "created a large demo store in {}: {} commands, {} orders, {} order lines, in {:.0} s",
                    dir.display(),
                    built.commands,
                    built.orders,
                    built.order_lines,
                    built.seconds
                );
                return Ok(ExitCode::SUCCESS);
            }
            if items.is_some()
                || customers.is_some()
                || order_lines.is_some()
                || submitters.is_some()
                || archive_after.is_some()
                || days.is_some()
            {
                bail!(
                    "--items, --customers, --order-lines, --submitters, --archive-after and --days \
                     go with --scale large"
                );
            }
            let n = create_demo(&dir, seed, activity)?;
            crate::say!(
                "created the demo distributor in {} ({n} commands)",
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Init { admin, name }) => {
            init(&dir, &admin, &name)?;
            crate::say!(
                "created an empty store in {} with admin operator {admin}",
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Passwd { code: operator }) => {
            let secret = if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                // At a terminal: typed twice, never shown.
                let first = read_secret("New PIN or password: ")?;
                crate::io::password::check_policy(&first).map_err(|e| anyhow!("{e}"))?;
                if read_secret("Again: ")? != first {
                    bail!("the two entries differ: nothing was changed");
                }
                first
            } else {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("reading the new PIN or password from stdin")?;
                if line.is_empty() {
                    bail!("no PIN or password on stdin: nothing was changed");
                }
                line.trim_end_matches(['\n', '\r']).to_string()
            };
            let hash = crate::io::password::hash(&secret).map_err(|e| anyhow!("{e}"))?;
            let by = args.operator.clone().unwrap_or_else(|| operator.clone());
            let body = CommandBody::SetPassword {
                code: operator.clone().into(),
                hash,
            };
            submit_one(&dir, &by, "passwd", body)?;
            crate::say!("PIN or password of {operator} set");
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Unlock { code: operator }) => {
            let by = args
                .operator
                .clone()
                .ok_or_else(|| anyhow!("depot unlock needs --operator (who unlocks)"))?;
            let body = CommandBody::UnlockOperator {
                code: operator.clone().into(),
            };
            submit_one(&dir, &by, "unlock", body)?;
            crate::say!("{operator} unlocked");
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Serve {
            listen,
            fingerprint,
            idle_timeout,
            resume_window,
            archive_after,
            archive_every,
        }) => {
            let archive = match (archive_after.0, args.operator.as_deref()) {
                (None, _) => None,
                (Some(_), None) => bail!(
                    "--archive-after needs --operator: who archives (an operator with close_periods)"
                ),
                (Some(days), Some(op)) => Some(crate::archiver::Policy {
                    after_days: days,
                    operator: op.to_string(),
                    every: archive_every,
                    pause: std::time::Duration::from_millis(200),
                    clock: std::sync::Arc::new(chrono::Utc::now),
                }),
            };
            if fingerprint {
                // Made on first start, so that it can be told to clients
                // before anyone connects.
                if !Store::is_store(&dir) {
                    bail!(
                        "no store in {}: `depot demo` or `depot init` first",
                        dir.display()
                    );
                }
                let key = crate::serve::host_key(&dir)?;
                crate::say!("{}", crate::serve::fingerprint(key.public_key()));
                return Ok(ExitCode::SUCCESS);
            }
            if !Store::is_store(&dir) {
                bail!(
                    "no store in {}: `depot demo` or `depot init` first",
                    dir.display()
                );
            }
            crate::logging::to_file(&dir)?;
            let engine = open_engine(&dir)?;
            crate::serve::serve(
                &dir,
                engine,
                crate::serve::ServeOptions {
                    listen,
                    idle_timeout: std::time::Duration::from_secs(idle_timeout.max(1)),
                    resume_window: std::time::Duration::from_secs(resume_window),
                    archive,
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Exec { file }) => exec(&dir, &file, args.operator.as_deref()),
        Some(Cmd::Import {
            kind,
            file,
            classify,
        }) => {
            if classify || kind == "auto" {
                // `--classify FILE` reads FILE where the kind would be.
                let path = if classify && file == Path::new("-") {
                    PathBuf::from(&kind)
                } else {
                    file
                };
                return import_classified(&dir, &path, classify, args.operator.as_deref());
            }
            import(&dir, &kind, &file, args.operator.as_deref())
        }
        Some(Cmd::Export {
            kind,
            format,
            out,
            entity,
        }) => export(&dir, &kind, format, out.as_deref(), entity.as_deref()),
        Some(Cmd::Check) => check(&dir),
        Some(Cmd::Archive {
            before,
            older_than,
            max,
            show,
        }) => archive(
            &dir,
            args.operator.as_deref(),
            before,
            &older_than,
            max,
            show.as_deref(),
        ),
        Some(cmd @ Cmd::Report { .. }) => {
            let Some((name, format, options, gl)) = report_options(&cmd) else {
                bail!("not a report command");
            };
            report(&dir, name, format, &options, &gl)
        }
        Some(Cmd::Backup { dest }) => {
            let store = open_store(&dir)?;
            let info = store
                .backup(&dest)
                .with_context(|| format!("backing up to {}", dest.display()))?;
            for note in store.take_notices() {
                crate::say_err!("depot: warning: {note}");
            }
            crate::say!(
                "backed up {} to {} as of seq {}: {info:?}",
                dir.display(),
                dest.display(),
                info.last_seq
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Restore { src }) => {
            let info = Store::restore(&src, &dir)
                .with_context(|| format!("restoring {} into {}", src.display(), dir.display()))?;
            crate::say!(
                "restored {} into {}: {info:?}",
                src.display(),
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Bench {
            which: BenchCmd::Screens { rounds, rf: false },
        }) => crate::bench_screens::run(&dir, rounds),
        Some(Cmd::Bench {
            which:
                BenchCmd::Serve {
                    sessions,
                    committers,
                    keys,
                    think_ms,
                    rf,
                    on,
                },
        }) => {
            crate::bench_serve::run(crate::bench_serve::ServeBench {
                sessions,
                committers,
                keys,
                think_ms,
                rf,
                on,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Bench {
            which: BenchCmd::Documents { rounds, open_items },
        }) => crate::bench_docs::run(rounds, open_items),
        Some(Cmd::Bench {
            which: BenchCmd::Models { rounds },
        }) => crate::bench_models::run(&dir, rounds),
        Some(Cmd::Print {
            kind,
            doc,
            format,
            out,
            printer,
            station,
            as_of,
        }) => print(
            &dir,
            args.operator,
            PrintArgs {
                kind,
                doc,
                format,
                out,
                printer,
                station,
                as_of,
            },
        ),
        Some(Cmd::Bench {
            which: BenchCmd::Screens { rounds, rf: true },
        }) => crate::bench_screens::run_rf(&dir, rounds),
        Some(Cmd::Bench { which }) => crate::bench::run(which),
    }
}

/// Open an existing store, with a clear error when there is none.
pub fn open_store(dir: &Path) -> Result<Store> {
    open_store_with(dir, false)
}

/// [`open_store`]; `prefetch`: for an engine, whose recovery reads the
/// newest snapshot ([`Store::open_prefetching`]).
fn open_store_with(dir: &Path, prefetch: bool) -> Result<Store> {
    if !Store::is_store(dir) {
        bail!(
            "no store in {}: create one with `depot demo` or `depot init` (or pass --data-dir)",
            dir.display()
        );
    }
    let opened = if prefetch {
        Store::open_prefetching(dir)
    } else {
        Store::open(dir)
    };
    let store = match opened {
        Ok(s) => s,
        Err(e @ crate::store::StoreError::Locked { .. }) => {
            // A running `depot serve` owns it: say how to reach it.
            let addr = std::fs::read_to_string(crate::serve::listen_file(dir)).ok();
            match addr
                .as_deref()
                .map(str::trim)
                .and_then(|a| a.rsplit_once(':'))
            {
                Some((host, port)) => bail!(
                    "{e}\n`depot serve` is serving this store on {host}:{port}: reach it with \
                     `ssh -p {port} OPERATOR@{host}` (the screens), or \
                     `ssh -p {port} OPERATOR@{host} report NAME ...`, `... exec -`, `... check`, \
                     `... export KIND`, `... import KIND < FILE`, `... backup DIR`"
                ),
                None => bail!("{e}"),
            }
        }
        Err(e) => bail!("{e}"),
    };
    for note in store.take_notices() {
        crate::say_err!("depot: warning: {note}");
    }
    if let Some(mode) = store.exposed() {
        crate::say_err!(
            "depot: warning: {}",
            crate::store::privacy::warning(dir, mode)
        );
    }
    Ok(store)
}

/// Open a store and start its engine (recovery included).
pub fn open_engine(dir: &Path) -> Result<Engine> {
    let store = open_store_with(dir, true)?;
    let mut config = EngineConfig::default();
    // Records between snapshots: DEPOT_SNAPSHOT_EVERY (the crash test
    // snapshots often, so that kills land during snapshots too).
    if let Ok(v) = std::env::var("DEPOT_SNAPSHOT_EVERY") {
        config.snapshot_every = v.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            anyhow!("DEPOT_SNAPSHOT_EVERY={v:?}: expected a number of records > 0")
        })?;
    }
    let engine = Engine::start(store, config)
        .map_err(|e| anyhow!("cannot open the store in {}: {e}", dir.display()))?;
    // What recovery skipped (a damaged snapshot), naming it.
    for note in engine.with_store(Store::take_notices).unwrap_or_default() {
        crate::say_err!("depot: warning: {note}");
    }
    Ok(engine)
}

fn refuse_existing(dir: &Path) -> Result<()> {
    if Store::is_store(dir) {
        bail!(
            "{} already holds a store; choose another --data-dir",
            dir.display()
        );
    }
    Ok(())
}

/// Build the demo store through the engine, as the demo admin.
pub fn create_demo(dir: &Path, seed: u64, activity: bool) -> Result<usize> {
    refuse_existing(dir)?;
    let now = chrono::Utc::now();
    let today = now.date_naive();
    let commands =
        crate::io::demo::commands(today, seed).map_err(|e| anyhow!("demo fixtures: {e}"))?;
    let store = Store::open(dir).map_err(|e| anyhow!("{e}"))?;
    // The activity is dated back: the engine's clock is the script's.
    let clock_ms = Arc::new(AtomicI64::new(now.timestamp_millis()));
    let read = clock_ms.clone();
    let config = EngineConfig {
        clock: Arc::new(move || {
            chrono::DateTime::from_timestamp_millis(read.load(Ordering::SeqCst))
                .unwrap_or_else(chrono::Utc::now)
        }),
        ..EngineConfig::default()
    };
    let engine = Engine::start(store, config).map_err(|e| anyhow!("{e}"))?;
    let mut n = commands.len();
    let subs = commands
        .into_iter()
        .map(|body| Submission {
            operator: crate::io::demo::DEMO_ADMIN.to_string(),
            session: "demo".to_string(),
            key: None,
            body,
        })
        .collect();
    engine
        .submit_all(subs)
        .map_err(|e| anyhow!("loading the demo: {e}"))?;
    if activity {
        let state = engine.view().state;
        let mut run = |days: i64, operator: &str, body: CommandBody| {
            let at = now - chrono::Duration::days(days);
            clock_ms.store(at.timestamp_millis(), Ordering::SeqCst);
            let reply = engine.submit(Submission {
                operator: operator.to_string(),
                session: "demo".to_string(),
                key: None,
                body,
            });
            match reply {
                Ok(r) => r.outcome.map_err(StepError::Refused),
                Err(e) => Err(StepError::Failed(e.to_string())),
            }
        };
        n += crate::io::activity::run(&state, today, &mut run).map_err(|e| anyhow!("{e}"))?;
        clock_ms.store(chrono::Utc::now().timestamp_millis(), Ordering::SeqCst);
    }
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    Ok(n)
}

fn init(dir: &Path, admin: &str, name: &str) -> Result<()> {
    refuse_existing(dir)?;
    let store = Store::open(dir).map_err(|e| anyhow!("{e}"))?;
    let engine = Engine::start(store, EngineConfig::default()).map_err(|e| anyhow!("{e}"))?;
    let body = CommandBody::CreateOperator(crate::core::master::Operator {
        code: admin.to_string().into(),
        name: name.to_string(),
        roles: vec![crate::core::auth::Role::Admin],
        ssh_keys: Vec::new(),
        default_warehouse: None,
        keymap: String::new(),
        active: true,
    });
    let reply = engine
        .submit(Submission {
            operator: admin.to_string(),
            session: "init".into(),
            key: None,
            body,
        })
        .map_err(|e| anyhow!("{e}"))?;
    if let Err(r) = reply.outcome {
        bail!("cannot create admin {admin}: {r}");
    }
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// `report`, `exec`, `check`, `export`, `import` and `backup` while
/// `depot serve` owns the store: sent through its Unix socket (owner
/// only), answered from its engine.
fn through_running_server(dir: &Path, args: &Args) -> Result<Option<ExitCode>> {
    if !crate::serve::socket_path(dir).exists() {
        return Ok(None);
    }
    let mut sink: Option<Box<dyn Write + Send>> = None;
    let (argv, stdin): (Vec<String>, Option<Box<dyn std::io::Read + Send>>) = match &args.command {
        Some(Cmd::Report { .. }) => (std::env::args().skip(1).collect(), None),
        Some(Cmd::Check) => (vec!["check".into()], None),
        Some(Cmd::Exec { file }) => {
            let input: Box<dyn std::io::Read + Send> = if file == "-" {
                Box::new(std::io::stdin())
            } else {
                Box::new(std::fs::File::open(file).with_context(|| format!("opening {file}"))?)
            };
            (vec!["exec".into(), "-".into()], Some(input))
        }
        // Classifying reads the store itself (the server would import).
        Some(Cmd::Import { classify: true, .. }) => return Ok(None),
        Some(Cmd::Import { kind, .. }) if kind == "auto" => return Ok(None),
        Some(Cmd::Import { kind, file, .. }) => {
            let input: Box<dyn std::io::Read + Send> = if file == Path::new("-") {
                Box::new(std::io::stdin())
            } else {
                Box::new(
                    std::fs::File::open(file)
                        .with_context(|| format!("reading {}", file.display()))?,
                )
            };
            (vec!["import".into(), kind.clone(), "-".into()], Some(input))
        }
        Some(Cmd::Export {
            kind,
            format,
            out,
            entity,
        }) => {
            // The file is written here, by this process, as without a
            // server; the server sends the export.
            journal_format(kind, *format)?;
            if let Some(p) = out {
                sink = Some(Box::new(BufWriter::new(create_private(p)?)));
            }
            let mut argv = vec![
                "export".to_string(),
                kind.clone(),
                "--format".into(),
                format!("{format:?}").to_lowercase(),
            ];
            if let Some(e) = entity {
                argv.extend(["--entity".to_string(), e.clone()]);
            }
            (argv, None)
        }
        Some(Cmd::Backup { dest }) => {
            // The server's working directory is not ours.
            let dest = std::path::absolute(dest)
                .with_context(|| format!("resolving {}", dest.display()))?;
            (
                vec!["backup".into(), dest.to_string_lossy().into_owned()],
                None,
            )
        }
        _ => return Ok(None),
    };
    match crate::serve::through_server(dir, argv, args.operator.clone(), stdin, sink) {
        None => Ok(None),
        Some(Ok(code)) => Ok(Some(ExitCode::from(code.min(255) as u8))),
        Some(Err(e)) => Err(e),
    }
}

/// Submit one command to the store in `dir` as `operator`; a refusal is
/// an error naming the rejection.
fn submit_one(dir: &Path, operator: &str, session: &str, body: CommandBody) -> Result<()> {
    let engine = open_engine(dir)?;
    let reply = engine.submit(Submission {
        operator: operator.to_string(),
        session: session.into(),
        key: None,
        body,
    });
    let shut = engine.shutdown();
    let reply = reply.map_err(|e| anyhow!("{e}"))?;
    shut.map_err(|e| anyhow!("{e}"))?;
    match reply.outcome {
        Ok(_) => Ok(()),
        Err(r) => bail!("refused ({}): {r}", r.code()),
    }
}

/// The JSON outcome line of a reply.
pub fn outcome_json(line: u64, key: Option<&str>, reply: &Result<Reply, EngineError>) -> Value {
    match reply {
        Ok(Reply {
            seq,
            outcome: Ok(events),
            duplicate,
        }) => {
            json!({"line": line, "key": key, "ok": true, "seq": seq, "duplicate": duplicate, "events": events})
        }
        Ok(Reply {
            seq,
            outcome: Err(r),
            duplicate,
        }) => json!({"line": line, "key": key, "ok": false, "seq": seq, "duplicate": duplicate,
                     "error": {"code": r.code(), "message": r.to_string()}}),
        Err(e) => json!({"line": line, "key": key, "ok": false,
                          "error": {"code": engine_error_code(e), "message": e.to_string()}}),
    }
}

fn engine_error_code(e: &EngineError) -> &'static str {
    match e {
        EngineError::Rejected { rejection, .. } => rejection.code(),
        EngineError::Store(_) | EngineError::Shutdown(_) => "store_failed",
        EngineError::Failed => "engine_failed",
        EngineError::Stopped => "engine_stopped",
    }
}

fn error_line(line: u64, key: Option<&str>, code: &str, message: String) -> Value {
    json!({"line": line, "key": key, "ok": false, "error": {"code": code, "message": message}})
}

/// Longest input line `exec` accepts.
pub const EXEC_LINE_LEN_MAX: usize = 1 << 20;
/// The byte order mark some editors write at the start of a UTF-8 file.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";
/// Commands `exec` keeps in flight (pipelining lets group commit batch them).
pub const EXEC_IN_FLIGHT_MAX: usize = 512;

/// Longest session name an `exec` line may carry (characters).
pub const SESSION_LEN_MAX: usize = 64;

/// Parse one JSON-lines input into a submission, or an error outcome.
///
/// Strict: a duplicate member anywhere, an unknown field at any level, a
/// decimal outside the one grammar (`"1E2"`, `"+10"`, `".5"`), a session
/// that is not a short printable string or an operator that cannot be an
/// operator code are each refused, naming the field: a typo must never
/// change what a command means.
pub fn parse_exec_line(
    text: &str,
    default_operator: Option<&str>,
) -> Result<Submission, (Option<String>, &'static str, String)> {
    use crate::io::jsonl::{self, StrictError};
    if text.len() > EXEC_LINE_LEN_MAX {
        return Err((
            None,
            "line_too_long",
            format!("a line may hold at most {EXEC_LINE_LEN_MAX} bytes"),
        ));
    }
    let mut obj = jsonl::parse_object(text).map_err(|e| match e {
        StrictError::Duplicate(_) => (None, "invalid_command", e.to_string()),
        StrictError::Syntax(_) | StrictError::NotObject => (None, "invalid_json", e.to_string()),
    })?;
    let key = match obj.remove("key") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err((None, "invalid_key", "key must be a string".into())),
    };
    let operator = match obj.remove("operator") {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => match default_operator {
            Some(o) => o.to_string(),
            None => {
                return Err((
                    key,
                    "no_operator",
                    "no operator: add an \"operator\" field or pass --operator".into(),
                ))
            }
        },
        Some(_) => return Err((key, "invalid_command", "operator must be a string".into())),
    };
    if let Some(p) = crate::core::types::code_problem(&operator) {
        return Err((
            key,
            "invalid_command",
            format!(
                "operator {:?} {p}: an operator is a code",
                operator.chars().take(40).collect::<String>()
            ),
        ));
    }
    let session = match obj.remove("session") {
        None | Some(Value::Null) => "exec".to_string(),
        Some(Value::String(s)) => {
            if s.is_empty()
                || s.chars().count() > SESSION_LEN_MAX
                || s.chars().any(char::is_control)
            {
                return Err((
                    key,
                    "invalid_command",
                    format!(
                        "session must be 1 to {SESSION_LEN_MAX} characters without control characters"
                    ),
                ));
            }
            s
        }
        Some(_) => return Err((key, "invalid_command", "session must be a string".into())),
    };
    let input = Value::Object(obj);
    // serde's message for a malformed value does not say whose it is.
    let body = CommandBody::deserialize(&input).map_err(|e| {
        let said = match jsonl::failing_member::<CommandBody>(&input, &["cmd"]) {
            Some((path, Some(v))) => {
                format!("{path} {:?}: {e}", v.chars().take(40).collect::<String>())
            }
            Some((path, None)) => format!("{path}: {e}"),
            None => format!("{e}"),
        };
        (key.clone(), "invalid_command", said)
    })?;
    // A string read back as another one is a decimal written outside the
    // grammar ("1E2" read as 100): refuse it as imports do.
    let output = serde_json::to_value(&body)
        .map_err(|e| (key.clone(), "invalid_command", format!("{e}")))?;
    // A command without fields (`escalate_exceptions`): serde reads any
    // member beside `cmd` without a word, so name the first one here.
    if let (Value::Object(i), Value::Object(o)) = (&input, &output) {
        if o.len() == 1 {
            // (A null member says nothing: a command whose optional
            // fields are all left out writes back as `cmd` alone too.)
            if let Some(extra) = i
                .iter()
                .find(|(k, v)| !v.is_null() && !o.contains_key(*k))
                .map(|(k, _)| k)
            {
                return Err((
                    key,
                    "invalid_command",
                    format!(
                        "unknown field `{}`: {} takes no fields",
                        extra.chars().take(40).collect::<String>(),
                        body.name()
                    ),
                ));
            }
        }
    }
    for (path, value) in jsonl::noncanonical(&input, &output) {
        if let Some(problem) = crate::core::types::decimal_problem(&value) {
            return Err((
                key,
                "invalid_command",
                format!(
                    "{path} {:?} {problem}",
                    value.chars().take(40).collect::<String>()
                ),
            ));
        }
    }
    Ok(Submission {
        operator,
        session,
        key,
        body,
    })
}

fn exec(dir: &Path, file: &str, default_operator: Option<&str>) -> Result<ExitCode> {
    let input: Box<dyn BufRead + Send> = if file == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("opening {file}"))?;
        Box::new(std::io::BufReader::new(f))
    };
    let engine = open_engine(dir)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let failed = exec_stream(&engine, input, &mut out, default_operator, false);
    drop(out);
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    Ok(if failed? {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// JSON-lines commands from `input` through a running engine, one outcome
/// line each to `out` as soon as it is durable; true if any failed. With
/// `only_default` (over SSH), a line naming another operator than
/// `default_operator` is refused: the authenticated operator acts.
pub fn exec_stream(
    engine: &Engine,
    input: Box<dyn BufRead + Send>,
    out: &mut dyn Write,
    default_operator: Option<&str>,
    only_default: bool,
) -> Result<bool> {
    enum Pending {
        Now(Value),
        Wait(
            u64,
            Option<String>,
            mpsc::Receiver<Result<Reply, EngineError>>,
        ),
    }
    let (tx, rx) = mpsc::sync_channel::<Pending>(EXEC_IN_FLIGHT_MAX);
    let reader_engine = engine.clone();
    let default_operator = default_operator.map(str::to_string);
    let reader = std::thread::spawn(move || -> Result<()> {
        let mut input = input;
        let mut buf = Vec::new();
        let mut n = 0u64;
        // Each line is bounded before it is buffered: an endless line
        // without a newline costs at most EXEC_LINE_LEN_MAX bytes.
        while let Some(too_long) =
            crate::io::jsonl::read_line_bounded(&mut input, &mut buf, EXEC_LINE_LEN_MAX)
                .context("reading input")?
        {
            n += 1;
            if n == 1 && buf.starts_with(UTF8_BOM) {
                // A BOM some editors put first: not part of the command.
                buf.drain(..UTF8_BOM.len());
            }
            let bytes = std::mem::take(&mut buf);
            let pending = match String::from_utf8(bytes) {
                _ if too_long => Pending::Now(error_line(
                    n,
                    None,
                    "line_too_long",
                    format!("a line may hold at most {EXEC_LINE_LEN_MAX} bytes"),
                )),
                Err(_) => Pending::Now(error_line(
                    n,
                    None,
                    "invalid_json",
                    "the line is not UTF-8".into(),
                )),
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => {
                    match parse_exec_line(text.trim_end_matches('\r'), default_operator.as_deref())
                    {
                        Err((key, code, message)) => {
                            Pending::Now(error_line(n, key.as_deref(), code, message))
                        }
                        Ok(sub)
                            if only_default
                                && Some(sub.operator.as_str()) != default_operator.as_deref() =>
                        {
                            Pending::Now(error_line(
                                n,
                                sub.key.as_deref(),
                                "operator_mismatch",
                                format!(
                                    "you are signed in as {}: a line cannot act as {}",
                                    default_operator.as_deref().unwrap_or(""),
                                    sub.operator
                                ),
                            ))
                        }
                        Ok(sub) => {
                            let key = sub.key.clone();
                            Pending::Wait(n, key, reader_engine.submit_nowait(sub))
                        }
                    }
                }
            };
            if tx.send(pending).is_err() {
                break;
            }
        }
        Ok(())
    });
    let mut failed = false;
    for pending in rx {
        let value = match pending {
            Pending::Now(v) => {
                failed = true;
                v
            }
            Pending::Wait(n, key, r) => {
                let reply = r.recv().unwrap_or(Err(EngineError::Stopped));
                if !matches!(reply, Ok(Reply { outcome: Ok(_), .. })) {
                    failed = true;
                }
                outcome_json(n, key.as_deref(), &reply)
            }
        };
        serde_json::to_writer(&mut *out, &value)?;
        out.write_all(b"\n")?;
        // Each answer is visible as soon as it is durable.
        out.flush()?;
    }
    reader
        .join()
        .map_err(|_| anyhow!("the input reader panicked"))??;
    Ok(failed)
}

fn import(dir: &Path, kind: &str, file: &Path, operator: Option<&str>) -> Result<ExitCode> {
    let operator = match import_operator(operator) {
        Ok(o) => o,
        Err(e) => return import_outcome(Err(e), ""),
    };
    let bytes = read_input(file)?;
    let engine = open_engine(dir)?;
    let done = import_bytes(&engine, kind, bytes, &file.display().to_string(), operator);
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    import_outcome(done, "")
}

/// Who an import runs as: `--operator`, which it needs (as `depot exec`
/// needs an operator for each command): each row is authorised by the
/// core as that operator, never as a default with every permission.
pub fn import_operator(operator: Option<&str>) -> Result<&str> {
    operator.ok_or_else(|| {
        anyhow::Error::new(Refused {
            code: 2,
            message: "depot import needs --operator CODE (or DEPOT_OPERATOR): who imports, \
                      whose permissions each row is checked against; nothing was imported"
                .into(),
        })
    })
}

/// Who a print runs as: `--operator`, which it needs (as `depot import`
/// does): the print is checked against that operator's permissions and
/// recorded in the audit trail as theirs, never as a default admin.
fn print_operator(operator: Option<&str>) -> Result<&str> {
    operator.ok_or_else(|| {
        anyhow::Error::new(Refused {
            code: 2,
            message: "depot print needs --operator CODE (or DEPOT_OPERATOR): who prints, \
                      whose permissions the print is checked against and recorded under; \
                      nothing was printed"
                .into(),
        })
    })
}

/// What an import says when it is done: its summary after `prefix`, or
/// the refusal with the refusal's exit code.
fn import_outcome(done: Result<String>, prefix: &str) -> Result<ExitCode> {
    match done {
        Ok(msg) => {
            crate::say!("{prefix}{msg}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => match e.downcast_ref::<Refused>() {
            Some(r) => {
                crate::say_err!("depot: {}", r.message);
                Ok(ExitCode::from(r.code))
            }
            None => Err(e),
        },
    }
}

/// `depot import --classify FILE` (print what the file is) and `depot
/// import auto FILE` (import it as that, if sure enough).
fn import_classified(
    dir: &Path,
    file: &Path,
    print_only: bool,
    operator: Option<&str>,
) -> Result<ExitCode> {
    use crate::io::classify::{classify, CONFIDENCE_MIN};
    // Only printing the kind imports nothing, so needs nobody.
    let operator = match (print_only, import_operator(operator)) {
        (true, _) => "",
        (false, Ok(o)) => o,
        (false, Err(e)) => return import_outcome(Err(e), ""),
    };
    let bytes = read_input(file)?;
    let source = file.display().to_string();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let engine = open_engine(dir)?;
    let found = engine.read(|s| classify(&text, s));
    let refuse = |engine: &Engine, message: String| -> Result<ExitCode> {
        engine.shutdown().map_err(|e| anyhow!("{e}"))?;
        crate::say_err!("depot: {source}: {message}; nothing was imported");
        Ok(ExitCode::from(2))
    };
    let c = match found {
        Ok(c) => c,
        Err(e) => return refuse(&engine, format!("cannot classify it: {e}")),
    };
    if print_only {
        engine.shutdown().map_err(|e| anyhow!("{e}"))?;
        crate::say!("kind {} (confidence {:.2})", c.kind, c.confidence);
        if let Some((who, code, name)) = &c.party {
            crate::say!("{who} {code} {name}");
        }
        for (k, v) in &c.reasons {
            crate::say!("  {k}: {v}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if c.confidence < CONFIDENCE_MIN {
        return refuse(
            &engine,
            format!(
                "looks like {} with confidence {:.2}, below {CONFIDENCE_MIN}: name the kind \
                 (depot import KIND FILE)",
                c.kind, c.confidence
            ),
        );
    }
    if matches!(c.kind.as_str(), "mt940" | "camt053") {
        return refuse(
            &engine,
            format!(
                "a {} bank statement: import it on the bank reconciliation screen (F9)",
                c.kind
            ),
        );
    }
    let done = import_bytes(&engine, &c.kind, bytes, &source, operator);
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    import_outcome(
        done,
        &format!("classified as {} ({:.2}); ", c.kind, c.confidence),
    )
}

/// A file's bytes, or stdin's for `-`.
fn read_input(file: &Path) -> Result<Vec<u8>> {
    if file == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).context("reading stdin")?;
        return Ok(bytes);
    }
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}

/// A command refused as a whole, with its exit status (nothing changed).
#[derive(Debug)]
pub struct Refused {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refused {}

/// Import a CSV (`source` names it in messages) into a running engine as
/// `operator`, all rows or none: what was done, or `Refused` (exit 2).
pub fn import_bytes(
    engine: &Engine,
    kind: &str,
    bytes: Vec<u8>,
    source: &str,
    operator: &str,
) -> Result<String> {
    let refused = |message: String| anyhow::Error::new(Refused { code: 2, message });
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let before = bytes.get(..at).unwrap_or_default();
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1);
            // Column in characters, as an editor shows it.
            let column = String::from_utf8_lossy(before.get(line_start..).unwrap_or_default())
                .chars()
                .count()
                + 1;
            return Err(refused(format!(
                "{source}: line {line}, column {column}: byte 0x{:02x} is not UTF-8 (save the file as UTF-8); nothing was imported",
                bytes.get(at).copied().unwrap_or(0)
            )));
        }
    };
    let rows = engine
        .read(|s| crate::io::csv::parse_rows(kind, &text, s))
        .map_err(|e| refused(format!("{source}: {e}; nothing was imported")))?;
    let n = rows.len();
    let lines: Vec<Vec<u64>> = rows.iter().map(|(l, _)| l.clone()).collect();
    let subs = rows
        .into_iter()
        .map(|(_, body)| Submission {
            operator: operator.to_string(),
            session: "import".into(),
            key: None,
            body,
        })
        .collect();
    match engine.submit_all(subs) {
        Ok(_) => Ok(format!("imported {n} {kind} rows from {source}")),
        Err(EngineError::Rejected { index, rejection }) => {
            let rows = lines.get(index).map(Vec::as_slice).unwrap_or_default();
            let said = rejection.to_string();
            // A refusal of a statement's `lines[i].field` is of the row
            // of the file that line came from, and of its column.
            let (at, said) = match crate::io::csv::statement_line_refusal(&said)
                .and_then(|r| Some((rows.get(r.index)?, r)))
            {
                Some((line, r)) => (
                    format!("line {line}, column {}", r.field),
                    format!("{}{}", r.before, r.after.trim_start()),
                ),
                None => (
                    format!("line {}", rows.first().copied().unwrap_or(0)),
                    said.clone(),
                ),
            };
            Err(refused(format!(
                "{source}: {at} refused ({}): {said}; nothing was imported",
                rejection.code()
            )))
        }
        Err(e) => Err(anyhow!("{e}")),
    }
}

/// The log up to record `upto`.
fn scan_upto(
    store: &Store,
    upto: u64,
) -> impl Iterator<Item = Result<Envelope, crate::store::StoreError>> + '_ {
    store
        .scan(1)
        .take_while(move |e| e.as_ref().map_or(true, |e| e.seq <= upto))
}

/// The journal's format for `export KIND --format F`, or an error for a
/// format the kind does not take.
fn journal_format(kind: &str, format: Format) -> Result<Option<crate::io::journal::JournalFormat>> {
    use crate::io::journal::JournalFormat;
    Ok(match (kind, format) {
        ("journal", Format::Hledger) => Some(JournalFormat::Hledger),
        ("journal", Format::Beancount) => Some(JournalFormat::Beancount),
        ("journal", _) => bail!("the journal exports as --format hledger or --format beancount"),
        ("gl", Format::Csv) => None,
        ("gl", _) => bail!("the general ledger lines export as CSV only (--format csv)"),
        (_, Format::Hledger | Format::Beancount) => {
            bail!("--format {format:?} is for `depot export journal` only")
        }
        _ => None,
    })
}

/// Create (or truncate) an export's file: a new one 0600, as the store
/// and its backups are (a journal or customer list is the business's
/// books); a file that exists keeps the mode its owner gave it.
fn create_private(p: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(p)
        .with_context(|| format!("creating {}", p.display()))
}

fn export(
    dir: &Path,
    kind: &str,
    format: Format,
    out: Option<&Path>,
    entity: Option<&str>,
) -> Result<ExitCode> {
    journal_format(kind, format)?;
    let engine = open_engine(dir)?;
    let mut w: Box<dyn Write> = match out {
        Some(p) => Box::new(BufWriter::new(create_private(p)?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let done = export_to(&engine, kind, format, entity, &mut w);
    let flushed = w.flush();
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    // A reader that went away (`depot export items | head`) is not an
    // error of ours: it printed "depot: Broken pipe (os error 32)".
    let gone = |e: &anyhow::Error| {
        out.is_none()
            && e.chain().any(|c| {
                let kind = c
                    .downcast_ref::<std::io::Error>()
                    .map(|io| io.kind())
                    .or_else(|| {
                        c.downcast_ref::<serde_json::Error>()
                            .and_then(serde_json::Error::io_error_kind)
                    });
                kind == Some(std::io::ErrorKind::BrokenPipe)
            })
    };
    match done {
        Err(e) if gone(&e) => return Ok(ExitCode::SUCCESS),
        other => other?,
    }
    match flushed {
        Err(e) if out.is_none() && e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Export `kind` from a running engine to `w`: the state and the log as
/// of one published sequence number (commits after it are not included).
pub fn export_to(
    engine: &Engine,
    kind: &str,
    format: Format,
    entity: Option<&str>,
    w: &mut dyn Write,
) -> Result<()> {
    use crate::io::journal;
    let journal_format = journal_format(kind, format)?;
    let view = engine.view();
    let upto = view.seq;
    let mut w = w;
    if let Some(jf) = journal_format {
        let summary = engine
            .with_store(|store| {
                journal::export_journal(&view.state, scan_upto(store, upto), jf, entity, &mut w)
            })
            .map_err(|e| anyhow!("{e}"))??;
        tracing::info!(?summary, "journal exported");
    } else if kind == "gl" {
        engine
            .with_store(|store| -> Result<u64> {
                let filter = journal::GlFilter {
                    entity: entity.map(str::to_string),
                    ..Default::default()
                };
                let mut csv = csv::Writer::from_writer(&mut w);
                csv.write_record(journal::GL_COLUMNS)?;
                let n = journal::gl_rows(&view.state, scan_upto(store, upto), &filter, |r| {
                    csv.write_record(&r)
                        .map_err(|e| journal::ExportError::Io(e.into()))
                })?;
                csv.flush()?;
                Ok(n)
            })
            .map_err(|e| anyhow!("{e}"))??;
    } else if kind == "events" {
        engine
            .with_store(|store| -> Result<()> {
                for env in scan_upto(store, upto) {
                    let mut env: Envelope = env.map_err(|e| anyhow!("{e}"))?;
                    redact_secrets(&mut env);
                    serde_json::to_writer(&mut w, &env)?;
                    w.write_all(b"\n")?;
                }
                Ok(())
            })
            .map_err(|e| anyhow!("{e}"))??;
    } else {
        if format != Format::Csv {
            bail!("master data exports as CSV only (--format csv)");
        }
        let text = crate::io::csv::export(kind, &view.state).map_err(|e| anyhow!("{e}"))?;
        w.write_all(text.as_bytes())?;
    }
    w.flush()?;
    Ok(())
}

fn report(
    dir: &Path,
    name: &str,
    format: Format,
    options: &crate::report::Options,
    gl: &crate::io::journal::GlFilter,
) -> Result<ExitCode> {
    // What the help promises: the reports' names, one a line, with no
    // store opened.
    if name == "list" {
        emit(&format!("{}\n", crate::report::REPORTS.join("\n")))?;
        return Ok(ExitCode::SUCCESS);
    }
    if matches!(format, Format::Hledger | Format::Beancount) {
        bail!("reports print as --format table, csv or json");
    }
    let engine = open_engine(dir)?;
    let out = report_text(&engine, name, format, options, gl);
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    // The process ends with the report. The state is a few million
    // allocations on a store of a year, and freeing them one by one took
    // 0.3 s of a 1.9 s report after it was printed; the system takes the
    // memory back at once. (Stopped above: the store is closed, nothing
    // is left to write.)
    std::mem::forget(engine);
    emit(&out?)?;
    Ok(ExitCode::SUCCESS)
}

/// The report's options as the command line gives them.
fn report_options(
    cmd: &Cmd,
) -> Option<(
    &str,
    Format,
    crate::report::Options,
    crate::io::journal::GlFilter,
)> {
    let Cmd::Report {
        name,
        format,
        entity,
        as_of,
        customer,
        by,
        period,
        currency,
        account,
        doc,
        from,
        to,
        who,
        session,
    } = cmd
    else {
        return None;
    };
    let (audit_from, audit_to) = crate::query::audit::Filter::days(*from, *to);
    let today = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let options = crate::report::Options {
        entity: entity.clone(),
        today,
        customer: customer.clone(),
        by: by.clone(),
        period: period.clone(),
        currency: currency.clone(),
        now: as_of.is_none().then(chrono::Utc::now),
        audit: crate::query::audit::Filter {
            document: doc.clone(),
            operator: who.clone(),
            session: session.clone(),
            from: audit_from,
            to: audit_to,
        },
        later: None,
    };
    let gl = crate::io::journal::GlFilter {
        entity: entity.clone(),
        account: account.clone(),
        doc: doc.clone(),
        from: *from,
        to: *as_of,
    };
    Some((name.as_str(), *format, options, gl))
}

/// `report ...` as parsed, against a running engine (`depot serve`).
pub fn report_from_args(engine: &Engine, args: &Args) -> Result<String> {
    let Some((name, format, options, gl)) = args.command.as_ref().and_then(report_options) else {
        bail!("not a report command");
    };
    report_text(engine, name, format, &options, &gl)
}

/// A report printed from a running engine's state (and its log for `gl`).
pub fn report_text(
    engine: &Engine,
    name: &str,
    format: Format,
    options: &crate::report::Options,
    gl: &crate::io::journal::GlFilter,
) -> Result<String> {
    use crate::io::journal;
    let table: Result<crate::report::Table> = if name == "gl" {
        // The general ledger detail is history: read from the log.
        engine
            .with_store(|store| -> Result<crate::report::Table> {
                let state = engine.view().state;
                if let Some(e) = &gl.entity {
                    if !state.entities.contains_key(&e.to_code()) {
                        bail!("unknown entity {e:?}");
                    }
                }
                let cols: Vec<(&'static str, bool)> = journal::GL_COLUMNS
                    .iter()
                    .map(|c| (*c, matches!(*c, "seq" | "debit" | "credit")))
                    .collect();
                let mut t = crate::report::Table::new("General ledger detail".into(), &cols);
                journal::gl_rows(&state, store.scan(1), gl, |r| {
                    t.rows.push(r);
                    Ok(())
                })?;
                Ok(t)
            })
            .map_err(|e| anyhow!("{e}"))
            .and_then(|t| t)
    } else if name == "audit" {
        // The audit trail is history: read from the log, from its first
        // record (each change is compared with the one before it).
        engine
            .with_store(|store| -> Result<crate::report::Table> {
                let mut trail = crate::query::audit::Trail::new();
                for env in store.scan(1) {
                    let env = env.map_err(|e| anyhow!("{e}"))?;
                    trail.extend(std::iter::once(&env));
                }
                Ok(crate::report::audit(&trail, &options.audit))
            })
            .map_err(|e| anyhow!("{e}"))
            .and_then(|t| t)
    } else {
        let state = engine.view().state;
        match crate::report::build_with(name, &state, options) {
            // As of a day before the latest archived document: read what
            // was archived after it, and build again.
            Err(crate::report::ReportError::Archive(
                crate::core::archive::CarriedError::NeedsArchive {
                    day,
                    customer,
                    need,
                },
            )) => {
                let later = engine
                    .with_store(|store| store.later(day, customer.as_deref(), need))
                    .map_err(|e| anyhow!("{e}"))?
                    .map_err(|e| anyhow!("reading the archive: {e}"))?;
                let mut o = options.clone();
                o.later = Some(std::sync::Arc::new(later));
                crate::report::build_with(name, &state, &o)
            }
            r => r,
        }
        .map_err(|e| anyhow!("{e}"))
    };
    let table = table?;
    Ok(match format {
        Format::Table => table.text(),
        Format::Csv => table.csv(),
        Format::Json => format!("{}\n", table.json()),
        Format::Hledger | Format::Beancount => {
            bail!("reports print as --format table, csv or json")
        }
    })
}

/// `depot archive`: archive closed orders, or show an archived one.
fn archive(
    dir: &Path,
    operator: Option<&str>,
    before: Option<chrono::NaiveDate>,
    older_than: &str,
    max: Option<u32>,
    show: Option<&str>,
) -> Result<ExitCode> {
    if let Some(number) = show {
        let store = open_store(dir)?;
        let mut docs = store
            .archived_order(number)
            .map_err(|e| anyhow!("reading the archive: {e}"))?;
        if docs.is_empty() {
            docs = store
                .archived_bank(number)
                .map_err(|e| anyhow!("reading the archive: {e}"))?;
        }
        if docs.is_empty() {
            // A pick list, shipment, invoice or receipt: its order, with
            // everything archived with it.
            if let Some(order) = store
                .archived_order_of(number)
                .map_err(|e| anyhow!("reading the archive: {e}"))?
            {
                docs = store
                    .archived_order(&order)
                    .map_err(|e| anyhow!("reading the archive: {e}"))?;
            }
        }
        if docs.is_empty() {
            bail!("{number} is not in the archive (an order or its pick list, shipment, invoice or receipt; a bank statement line BL-, a book item BK-)");
        }
        emit(&serde_json::to_string_pretty(&docs)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let before = match before {
        Some(d) => d,
        None => {
            // Bounded as `serve --archive-after` is: a hundred years back
            // is a date, a larger count would be none.
            let today = chrono::Utc::now().date_naive();
            days_of(older_than)
                .filter(|d| *d <= 36_500)
                .and_then(|d| today.checked_sub_days(chrono::Days::new(u64::from(d))))
                .ok_or_else(|| {
                    anyhow!(
                        "--older-than {older_than:?} is not a number of days up to 36500 (e.g. 365d)"
                    )
                })?
        }
    };
    let operator =
        operator.ok_or_else(|| anyhow!("depot archive needs --operator (who archives)"))?;
    let engine = open_engine(dir)?;
    let in_memory = |e: &Engine| e.read(|s| (s.orders.len(), s.invoices.len()));
    let (orders_before, invoices_before) = in_memory(&engine);
    let reply = engine.submit(Submission {
        operator: operator.to_string(),
        session: "archive".into(),
        key: None,
        body: CommandBody::ArchiveClosed {
            before,
            max,
            orders: None,
        },
    });
    let (orders_after, invoices_after) = in_memory(&engine);
    let shut = engine.shutdown();
    let reply = reply.map_err(|e| anyhow!("{e}"))?;
    shut.map_err(|e| anyhow!("{e}"))?;
    let events = match reply.outcome {
        Ok(events) => events,
        Err(r) => bail!("refused ({}): {r}", r.code()),
    };
    for e in &events {
        if let crate::core::Event::BankArchived(b) = e {
            crate::say!(
                "archived {} bank statement lines of {} (reconciled through {}) and the {} book items they cleared (record {})",
                b.lines.len(),
                b.entity,
                b.through,
                b.items.len(),
                reply.seq.unwrap_or_default()
            );
        }
        if let crate::core::Event::Archived(a) = e {
            crate::say!(
                "archived {} orders dated before {before} with {} pick lists, {} shipments, {} invoices and {} receipts (record {}); in memory: {orders_before} -> {orders_after} orders, {invoices_before} -> {invoices_after} invoices",
                a.orders.len(),
                a.picks.len(),
                a.shipments.len(),
                a.invoices.len(),
                a.receipts.len(),
                reply.seq.unwrap_or_default()
            );
            let numbers: Vec<&str> = a.orders.iter().map(|o| o.order.number.as_str()).collect();
            crate::say!(
                "orders archived: {}{} (`depot archive --show NUMBER` reads one)",
                numbers
                    .iter()
                    .take(10)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
                if numbers.len() > 10 {
                    format!(" and {} more", numbers.len() - 10)
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(dir: &Path) -> Result<ExitCode> {
    let store = open_store(dir)?;
    match crate::check::verify(&store) {
        Ok(report) => {
            emit(&report.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            crate::say_err!("depot check: FAILED: {problem}");
            Ok(ExitCode::from(3))
        }
    }
}

fn tui(dir: &Path, operator: Option<String>) -> Result<ExitCode> {
    let mut notice = None;
    if !Store::is_store(dir) {
        let n = create_demo(dir, 0, true)?;
        let msg = format!(
            "created the demo distributor in {} ({n} commands)",
            dir.display()
        );
        crate::say_err!("depot: {msg}");
        notice = Some(msg);
    }
    crate::logging::to_file(dir)?;
    let engine = open_engine(dir)?;
    // The models train on their own thread; the screens read what it
    // published (none yet: they say so and go on).
    let models = crate::ui_backend::start_models(&engine)?;
    let backend =
        crate::ui_backend::EngineBackend::new(engine.clone()).with_models(models.handle());
    let opts = crate::ui::UiOptions {
        operator,
        keymap_file: user_keymap(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        notice,
        session: format!(
            "tty-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_millis()
        ),
    };
    let result = crate::ui::run(&backend, &|w| engine.watch(w), opts);
    // A reprint still being built records itself through the engine.
    crate::ui::print_worker::wait_at_stop();
    // Its archive reader stops a read in hand, which holds the store.
    drop(backend);
    drop(models);
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    result.map_err(|e| anyhow!("{e}"))?;
    // Stopped cleanly, but by a signal: say so to the shell (143 for
    // SIGTERM, 129 for a hangup, 130 for SIGINT).
    Ok(match crate::ui::stopped_by() {
        Some(sig) => ExitCode::from(u8::try_from(128 + sig).unwrap_or(1)),
        None => ExitCode::SUCCESS,
    })
}

/// The user's keymap: $XDG_CONFIG_HOME/depot/keymap.toml or ~/.config/depot/keymap.toml, if present.
pub fn user_keymap() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    let p = base.join("depot").join("keymap.toml");
    p.exists().then_some(p)
}

/// Read a secret at the terminal without echo (raw mode, restored after).
fn read_secret(prompt: &str) -> Result<String> {
    use crossterm::event::{read, Event, KeyCode, KeyEventKind, KeyModifiers};
    eprint!("{prompt}");
    crossterm::terminal::enable_raw_mode()?;
    let mut secret = String::new();
    let outcome = loop {
        match read() {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => match k.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err(anyhow!("interrupted: nothing was changed"))
                }
                KeyCode::Backspace => {
                    secret.pop();
                }
                KeyCode::Char(c) if secret.chars().count() < 1024 => secret.push(c),
                _ => {}
            },
            Ok(_) => {}
            Err(e) => break Err(anyhow!("reading the terminal: {e}")),
        }
    };
    let _ = crossterm::terminal::disable_raw_mode();
    crate::say_err!();
    outcome.map(|()| secret)
}

/// Write `text` to stdout; a reader that went away (`| head`) is not an
/// error of ours.
fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to stdout"),
    }
}

/// An exported audit trail says that a PIN or password was set, by whom
/// and when, never its hash: a 4-digit PIN's argon2 hash falls to a
/// search of all 10,000 in minutes, so hashes stay in the private store.
fn redact_secrets(env: &mut Envelope) {
    if let Outcome::Committed(events) = &mut env.outcome {
        for e in events {
            if let crate::core::Event::PasswordSet { credential, .. } = e {
                credential.hash = "(redacted)".into();
            }
        }
    }
}

/// The outcome of a log record as `exec` prints it (used by tests and tools).
pub fn envelope_outcome(env: &Envelope) -> Value {
    match &env.outcome {
        Outcome::Committed(events) => json!({"seq": env.seq, "ok": true, "events": events}),
        Outcome::Rejected(r) => {
            json!({"seq": env.seq, "ok": false, "error": {"code": r.code(), "message": r.to_string()}})
        }
    }
}

/// What `depot print` was asked.
struct PrintArgs {
    kind: String,
    doc: String,
    format: Option<DocFormat>,
    out: Option<PathBuf>,
    printer: Option<String>,
    station: Option<String>,
    as_of: Option<chrono::NaiveDate>,
}

fn print(dir: &Path, operator: Option<String>, a: PrintArgs) -> Result<ExitCode> {
    use crate::docs::{print::PrintRequest, DocKind, Format as F};
    let Some(kind) = DocKind::parse(&a.kind) else {
        let kinds: Vec<&str> = DocKind::ALL.iter().map(|k| k.as_str()).collect();
        bail!(
            "unknown document kind {:?}; the kinds are: {}",
            a.kind,
            kinds.join(", ")
        );
    };
    let operator = match print_operator(operator.as_deref()) {
        Ok(o) => o.to_string(),
        Err(e) => return import_outcome(Err(e), ""),
    };
    let engine = open_engine(dir)?;
    // The document is sent before its print is recorded (as `record_print`,
    // which the core authorises): who prints is checked first, as the core
    // would, so that nobody prints what the audit trail then refuses.
    let may = engine.read(|s| {
        crate::core::decide::operator_may(
            s,
            &operator,
            crate::core::command::permission_of("record_print")
                .unwrap_or(crate::core::auth::Permission::ManageOperators),
        )
    });
    if let Err(r) = may {
        engine.shutdown().map_err(|e| anyhow!("{e}"))?;
        crate::say_err!("depot: {r} ({}); nothing was printed", r.code());
        return Ok(ExitCode::from(2));
    }
    let station = match a.station {
        None => None,
        Some(s) => match s.split_once('/') {
            Some((w, st)) => Some((w.to_string(), st.to_string())),
            None => {
                let wh = engine.read(|st| {
                    st.operators
                        .get(&operator.to_code())
                        .and_then(|o| o.default_warehouse.as_ref().map(|w| w.to_string()))
                });
                match wh {
                    Some(w) => Some((w, s)),
                    None => bail!(
                        "--station {s}: operator {operator} has no default warehouse; \
                         name it as WAREHOUSE/{s}"
                    ),
                }
            }
        },
    };
    let req = PrintRequest {
        kind,
        doc: a.doc,
        format: a.format.map(|f| match f {
            DocFormat::Pdf => F::Pdf,
            DocFormat::Text => F::Text,
            DocFormat::Zpl => F::Zpl,
        }),
        printer: a.printer,
        station,
        out: a.out,
        today: a.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive()),
    };
    let backend = crate::ui_backend::EngineBackend::new(engine.clone());
    let result = crate::docs::print::print_document(&backend, &operator, "cli", &req);
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    match result {
        Ok(o) => {
            let to_stdout = req.out.as_deref() == Some(Path::new("-"));
            let line = format!(
                "printed {} {}{} ({}, {} bytes, as of record {}) to {}; audit record {}",
                o.kind,
                o.doc,
                if o.copy { " as a COPY" } else { "" },
                o.format.as_str(),
                o.bytes,
                o.as_of,
                o.printer
                    .map(|p| format!("printer {p} ({})", o.destination))
                    .unwrap_or(o.destination),
                o.audit_seq
            );
            if to_stdout {
                crate::say_err!("depot: {line}");
            } else {
                crate::say!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            crate::say_err!("depot: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
