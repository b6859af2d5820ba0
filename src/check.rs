//! `depot check`: replay the whole log from empty, verify every record's
//! checksum and every invariant of SPEC section 8, compare the replayed
//! state with every stored snapshot, and say what was verified.

use crate::core::invariants::{check_state, first_difference, Replayer, Verified};
use crate::store::Store;
use std::fmt;

/// What `depot check` verified.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub records: u64,
    pub raw_frames: usize,
    /// Damaged copies of records that have an intact copy too (what
    /// sled's node rewrites leave when torn), or past the durable mark.
    pub torn_copies: usize,
    pub events: u64,
    pub journals: u64,
    pub journal_lines: u64,
    pub snapshots: usize,
    /// Snapshots of an older state version: not compared, never loaded
    /// (opening rebuilds the state from the log past them).
    pub old_snapshots: usize,
    /// Snapshots that are damaged or unreadable: named, skipped when the
    /// store opens (the state is rebuilt from the log), replaced by the
    /// next snapshot.
    pub damaged_snapshots: Vec<String>,
    pub state: Verified,
    pub items: usize,
    pub customers: usize,
    pub operators: usize,
    /// Archived documents equal to the records that archived them.
    pub archived: usize,
    /// The archive's index by day was compared too (false: a store from
    /// before it, not opened by this version yet).
    pub archive_indexed: bool,
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "depot check: OK")?;
        writeln!(
            f,
            "  log records verified (checksum, sequence): {}",
            self.records
        )?;
        writeln!(
            f,
            "  raw frames in the store file intact:       {}",
            self.raw_frames
        )?;
        if self.torn_copies > 0 {
            writeln!(
                f,
                "  damaged copies, no record lost (torn):    {}",
                self.torn_copies
            )?;
        }
        writeln!(
            f,
            "  events replayed from empty:                {}",
            self.events
        )?;
        writeln!(
            f,
            "  journal entries balanced, in open periods: {}",
            self.journals
        )?;
        writeln!(
            f,
            "  journal lines:                             {}",
            self.journal_lines
        )?;
        writeln!(
            f,
            "  snapshots equal to the replayed state:     {}",
            self.snapshots
        )?;
        for d in &self.damaged_snapshots {
            writeln!(
                f,
                "  DAMAGED, skipped (the log is intact; opening replays it): {d}"
            )?;
        }
        if self.old_snapshots > 0 {
            writeln!(
                f,
                "  snapshots of an older state (skipped):     {}",
                self.old_snapshots
            )?;
        }
        if self.archived > 0 {
            writeln!(
                f,
                "  archived documents = their records:        {}",
                self.archived
            )?;
            if !self.archive_indexed {
                writeln!(
                    f,
                    "  archive index by day:                      not written yet (a store from \
                     before it: written when depot next opens it)"
                )?;
            }
        }
        writeln!(
            f,
            "  master records:                            {}",
            self.state.master_records
        )?;
        writeln!(
            f,
            "    items / customers / operators:           {} / {} / {}",
            self.items, self.customers, self.operators
        )?;
        writeln!(
            f,
            "  bin stock positions >= 0:                  {}",
            self.state.bins_with_stock
        )?;
        writeln!(
            f,
            "  warehouse stock totals = sum of bins:      {}",
            self.state.stock_positions
        )?;
        writeln!(
            f,
            "  cost pools = warehouse stock:              {}",
            self.state.cost_pools
        )?;
        writeln!(
            f,
            "  ledgers balanced (entities):               {}",
            self.state.entities
        )?;
        writeln!(
            f,
            "  account balances = sum of periods:         {}",
            self.state.accounts_with_balance
        )?;
        writeln!(
            f,
            "  subledger parties tied to control:         {}",
            self.state.subledger_parties
        )?;
        writeln!(
            f,
            "  orders whose lines hold the reservations:  {}",
            self.state.orders
        )
    }
}

/// Verify a store; the error names the first problem and its position.
pub fn verify(store: &Store) -> Result<CheckReport, String> {
    // The raw file first: sled may read past (or stop at) damage silently.
    // A damaged copy of a record with an intact copy elsewhere is a torn
    // rewrite, not a lost record (a store of years holds some): counted.
    let scan = store.forensic_scan().map_err(|e| e.to_string())?;
    if let Some((seq, d)) = store.first_lost(&scan).map_err(|e| e.to_string())? {
        return Err(format!(
            "record {seq} is damaged in the store file (checksum mismatch at byte {}); \
             restore from a backup (`depot restore`)",
            d.offset
        ));
    }
    // A damaged snapshot file names its record itself; other errors
    // (a sled tree written before snapshots were files) are named here.
    let damaged = |seq: u64, e: &crate::store::StoreError| match e {
        crate::store::StoreError::DamagedSnapshot { .. } => e.to_string(),
        _ => format!("snapshot after record {seq}: {e}"),
    };
    // A snapshot sled cannot read, or that fails its checksum, is damage
    // to report, but costs nothing: opening skips it and replays the log.
    let mut damaged_snapshots = Vec::new();
    let snapshots = match store.snapshot_seqs() {
        Ok(s) => s,
        Err(e) => {
            damaged_snapshots.push(format!(
                "the snapshots of the store in {} cannot be read: {e}",
                store.dir().display()
            ));
            Vec::new()
        }
    };
    let mut pending: std::collections::VecDeque<u64> = snapshots.iter().copied().collect();
    let mut replay = Replayer::default();
    let mut compared = 0;
    let mut old = 0;
    // A snapshot at seq 0 (empty store) compares with the empty state.
    let mut compare =
        |replay: &Replayer, pending: &mut std::collections::VecDeque<u64>| -> Result<(), String> {
            while pending.front() == Some(&replay.state.seq) {
                let seq = replay.state.seq;
                pending.pop_front();
                // In bounded memory: the replayed state is encoded against
                // the stored bytes. Only a snapshot that differs is decoded
                // (a second copy of the state), to name where it differs.
                match store.snapshot_matches(seq, &replay.state) {
                    Ok(true) => {
                        compared += 1;
                        continue;
                    }
                    Ok(false) => {}
                    Err(crate::store::StoreError::OldSnapshot { .. }) => {
                        old += 1;
                        continue;
                    }
                    Err(e) => {
                        damaged_snapshots.push(damaged(seq, &e));
                        continue;
                    }
                }
                let snap = match store.load_snapshot(seq) {
                    Ok(s) => s,
                    Err(crate::store::StoreError::OldSnapshot { .. }) => {
                        old += 1;
                        continue;
                    }
                    Err(e) => {
                        damaged_snapshots.push(damaged(seq, &e));
                        continue;
                    }
                };
                if let Some(what) = first_difference(&snap, &replay.state) {
                    return Err(format!(
                        "snapshot at record {seq} differs from the replayed log in {what}"
                    ));
                }
                compared += 1;
            }
            Ok(())
        };
    compare(&replay, &mut pending)?;
    let mut archived = 0;
    let indexed = store.archive_indexed().map_err(|e| e.to_string())?;
    for env in store.scan(1) {
        let env = env.map_err(|e| e.to_string())?;
        // `step` holds an archive's documents against the replayed state;
        // here they are held against what the archive tree keeps.
        archived += archive_matches(store, &env, indexed)?;
        replay.step(&env).map_err(|v| v.to_string())?;
        // Cheap per-record checks happen in `step`; the full state check
        // runs at the end.
        compare(&replay, &mut pending)?;
    }
    if let Some(seq) = pending.front() {
        return Err(format!(
            "snapshot at record {seq} is beyond the end of the log (record {})",
            replay.state.seq
        ));
    }
    let state = check_state(&replay.state)
        .map_err(|v| format!("after record {}: {v}", replay.state.seq))?;
    Ok(CheckReport {
        records: replay.records,
        raw_frames: scan.good_frames,
        torn_copies: scan.damaged.len(),
        events: replay.events,
        journals: replay.journals,
        journal_lines: replay.journal_lines,
        snapshots: compared,
        old_snapshots: old,
        damaged_snapshots,
        items: replay.state.items.len(),
        customers: replay.state.customers.len(),
        operators: replay.state.operators.len(),
        archived,
        archive_indexed: indexed,
        state,
    })
}

/// Are the documents record `env` archives in the archive tree, byte for
/// byte as the record encodes them, and in its index by day? How many
/// documents were compared.
fn archive_matches(
    store: &Store,
    env: &crate::core::Envelope,
    indexed: bool,
) -> Result<usize, String> {
    let mut n = 0;
    for (key, want) in crate::store::archive_entries(env).map_err(|e| e.to_string())? {
        // A store from before the index gets it when next opened.
        if want.is_empty() && !indexed {
            continue;
        }
        let what = if want.is_empty() {
            "the index entry"
        } else {
            "archived"
        };
        match store.archived_raw(&key).map_err(|e| e.to_string())? {
            Some(held) if held == want => n += usize::from(!want.is_empty()),
            Some(_) => {
                return Err(format!(
                "record {}: {what} {key} differs in the archive from the record that archived it",
                env.seq
            ))
            }
            None => {
                return Err(format!(
                    "record {}: {what} {key} is missing from the archive",
                    env.seq
                ))
            }
        }
    }
    Ok(n)
}
