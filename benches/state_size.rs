//! Heap bytes per field of a store's reopened state: what issue 21's
//! memory figures in docs/performance.md are broken down with.
//!
//! `cargo bench --bench state_size -- STORE_DIR` (release). A counting
//! global allocator; the newest snapshot is decoded, then each field of
//! the state is dropped in turn and the bytes it freed are counted, beside
//! the time to decode that field alone from its bincode bytes. With
//! no store given it says so and ends (a plain `cargo bench` runs it).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is handed on to the system allocator unchanged; the
// counter is only arithmetic beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn mb(bytes: isize) -> f64 {
    bytes as f64 / 1e6
}

/// A field's heap bytes, and the time to decode it on its own from its
/// bincode bytes (what it adds to a snapshot's section: how the two
/// sections are balanced between the reopen's two threads).
fn measure<T: serde::Serialize + serde::de::DeserializeOwned>(
    rows: &mut Vec<(isize, f64, String)>,
    name: &str,
    value: T,
) {
    let config = bincode::config::standard();
    let decode_ms = match bincode::serde::encode_to_vec(&value, config) {
        Ok(bytes) => {
            let start = std::time::Instant::now();
            let decoded = bincode::serde::decode_from_slice::<T, _>(&bytes, config);
            let ms = start.elapsed().as_secs_f64() * 1e3;
            drop(decoded);
            ms
        }
        Err(_) => f64::NAN,
    };
    let before = LIVE.load(Ordering::Relaxed);
    drop(value);
    rows.push((
        before - LIVE.load(Ordering::Relaxed),
        decode_ms,
        name.to_string(),
    ));
}

/// Resident and peak resident of this process (Linux), for the line that
/// says what the open and the decode cost.
fn resident() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let pick = |k: &str| {
        status
            .lines()
            .find(|l| l.starts_with(k))
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| "?".into())
    };
    format!("resident {}, peak {}", pick("VmRSS:"), pick("VmHWM:"))
}

fn main() {
    let Some(dir) = std::env::args().skip(1).find(|a| !a.starts_with('-')) else {
        println!("state_size: give a store directory: cargo bench --bench state_size -- DIR");
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let store = match depot::cli::open_store(&dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("state_size: {e:#}");
            std::process::exit(1);
        }
    };
    println!(
        "opened: heap {:.1} MB, {}",
        mb(LIVE.load(Ordering::Relaxed)),
        resident()
    );
    let Some(seq) = store.snapshot_seqs().ok().and_then(|s| s.last().copied()) else {
        eprintln!("state_size: the store has no snapshot");
        std::process::exit(1);
    };
    let before = LIVE.load(Ordering::Relaxed);
    let mut s = match store.load_snapshot(seq) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("state_size: {e}");
            std::process::exit(1);
        }
    };
    let total = LIVE.load(Ordering::Relaxed) - before;
    println!("state at {seq}: heap {:.1} MB, {}", mb(total), resident());
    let mut rows = Vec::new();
    let mut index = std::mem::take(&mut s.index);
    let mut kpis = std::mem::take(&mut s.kpis);
    // Each field is taken out and dropped under its own name; a prefix
    // names the part of the state it belongs to.
    macro_rules! each {
        ($prefix:literal, $owner:ident: $($field:ident),+ $(,)?) => {
            $(measure(
                &mut rows,
                concat!($prefix, stringify!($field)),
                std::mem::take(&mut $owner.$field),
            );)+
        };
    }
    each!("index.", index:
        open_picks, picks_by_order, shipments_by_order, receipts_by_invoice, open_orders,
        uninvoiced, open_invoices, item_bins, open_pos, unsent_pos, open_counts,
        supplier_refs, open_supplier_invoices, unmatched_bank_lines, uncleared_book_items,
        promised, contracts);
    each!("kpis.", kpis:
        acc, orders, disputed, closes);
    each!("", s:
        entities, accounts, posting_rules, periods, warehouses, bins, items,
        barcodes, customers, suppliers, price_lists, contracts, tax_codes, carriers, terms,
        fx_rates, operators, category_floors, changes, bin_stock, stock, costs, ledger,
        keys, orders, picks, shipments, invoices, receipts, purchase_orders,
        goods_receipts, supplier_invoices, supplier_payments, counts, last_counted,
        transfers, waves, returns, credit_memos, unapplied, unapplied_base, replenishment,
        demand, lots, manual_journals, revaluations, bank_lines, bank_statements,
        book_items, issued, receipt_pools, pool_days, refunds, allowances, credentials,
        sign_ins, demo, printers, default_printers, doc_profiles, prints, order_history,
        short_reasons, zones, year_closes, exceptions, open_exceptions, short_acknowledged,
        persons, debit_memos, supplier_debit_notes, supplier_refunds, supplier_debit,
        supplier_debit_base, deposits, quality_rules, quality_names, dispute_resolutions,
        unapplied_since, dispute_by, exception_routing, bank_reconciled, bank_archived_through,
        channel_policies,
        policy_overrides, order_policies, deliveries, clock_notes, archived_orders,
        archived_invoices, archived_statement, archived_sales_by_customer,
        archived_sales_by_item);
    measure(&mut rows, "index (rest)", index);
    measure(&mut rows, "kpis (rest)", kpis);
    measure(&mut rows, "(rest)", s);
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    println!("      heap    decode  field");
    for (bytes, ms, name) in rows.iter().filter(|(b, ..)| *b > 0) {
        println!("{:>7.1} MB {ms:>6.0} ms  {name}", mb(*bytes));
    }
}
