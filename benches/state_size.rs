//! Heap bytes per field of a store's reopened state: what issue 21's
//! memory figures in docs/performance.md are broken down with.
//!
//! `cargo bench --bench state_size -- STORE_DIR` (release). A counting
//! global allocator; the newest snapshot is decoded, then each field of
//! the state is dropped in turn and the bytes it freed are counted. With
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

fn measure<T>(rows: &mut Vec<(isize, String)>, name: &str, value: T) {
    let before = LIVE.load(Ordering::Relaxed);
    drop(value);
    rows.push((before - LIVE.load(Ordering::Relaxed), name.to_string()));
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
    measure(
        &mut rows,
        "index.open_picks",
        std::mem::take(&mut index.open_picks),
    );
    measure(
        &mut rows,
        "index.picks_by_order",
        std::mem::take(&mut index.picks_by_order),
    );
    measure(
        &mut rows,
        "index.shipments_by_order",
        std::mem::take(&mut index.shipments_by_order),
    );
    measure(
        &mut rows,
        "index.receipts_by_invoice",
        std::mem::take(&mut index.receipts_by_invoice),
    );
    measure(
        &mut rows,
        "index.open_orders",
        std::mem::take(&mut index.open_orders),
    );
    measure(
        &mut rows,
        "index.uninvoiced",
        std::mem::take(&mut index.uninvoiced),
    );
    measure(
        &mut rows,
        "index.open_invoices",
        std::mem::take(&mut index.open_invoices),
    );
    measure(
        &mut rows,
        "index.item_bins",
        std::mem::take(&mut index.item_bins),
    );
    measure(
        &mut rows,
        "index.open_pos",
        std::mem::take(&mut index.open_pos),
    );
    measure(
        &mut rows,
        "index.unsent_pos",
        std::mem::take(&mut index.unsent_pos),
    );
    measure(
        &mut rows,
        "index.open_counts",
        std::mem::take(&mut index.open_counts),
    );
    measure(
        &mut rows,
        "index.supplier_refs",
        std::mem::take(&mut index.supplier_refs),
    );
    measure(
        &mut rows,
        "index.open_supplier_invoices",
        std::mem::take(&mut index.open_supplier_invoices),
    );
    measure(
        &mut rows,
        "index.unmatched_bank_lines",
        std::mem::take(&mut index.unmatched_bank_lines),
    );
    measure(
        &mut rows,
        "index.uncleared_book_items",
        std::mem::take(&mut index.uncleared_book_items),
    );
    measure(&mut rows, "kpis.acc", std::mem::take(&mut kpis.acc));
    measure(&mut rows, "kpis.orders", std::mem::take(&mut kpis.orders));
    measure(
        &mut rows,
        "kpis.disputed",
        std::mem::take(&mut kpis.disputed),
    );
    measure(&mut rows, "kpis.closes", std::mem::take(&mut kpis.closes));
    measure(&mut rows, "entities", std::mem::take(&mut s.entities));
    measure(&mut rows, "accounts", std::mem::take(&mut s.accounts));
    measure(
        &mut rows,
        "posting_rules",
        std::mem::take(&mut s.posting_rules),
    );
    measure(&mut rows, "periods", std::mem::take(&mut s.periods));
    measure(&mut rows, "warehouses", std::mem::take(&mut s.warehouses));
    measure(&mut rows, "bins", std::mem::take(&mut s.bins));
    measure(&mut rows, "items", std::mem::take(&mut s.items));
    measure(&mut rows, "barcodes", std::mem::take(&mut s.barcodes));
    measure(&mut rows, "customers", std::mem::take(&mut s.customers));
    measure(&mut rows, "suppliers", std::mem::take(&mut s.suppliers));
    measure(&mut rows, "price_lists", std::mem::take(&mut s.price_lists));
    measure(&mut rows, "contracts", std::mem::take(&mut s.contracts));
    measure(&mut rows, "tax_codes", std::mem::take(&mut s.tax_codes));
    measure(&mut rows, "carriers", std::mem::take(&mut s.carriers));
    measure(&mut rows, "terms", std::mem::take(&mut s.terms));
    measure(&mut rows, "fx_rates", std::mem::take(&mut s.fx_rates));
    measure(&mut rows, "operators", std::mem::take(&mut s.operators));
    measure(
        &mut rows,
        "category_floors",
        std::mem::take(&mut s.category_floors),
    );
    measure(&mut rows, "changes", std::mem::take(&mut s.changes));
    measure(&mut rows, "bin_stock", std::mem::take(&mut s.bin_stock));
    measure(&mut rows, "stock", std::mem::take(&mut s.stock));
    measure(&mut rows, "costs", std::mem::take(&mut s.costs));
    measure(&mut rows, "ledger", std::mem::take(&mut s.ledger));
    measure(&mut rows, "keys", std::mem::take(&mut s.keys));
    measure(&mut rows, "orders", std::mem::take(&mut s.orders));
    measure(&mut rows, "picks", std::mem::take(&mut s.picks));
    measure(&mut rows, "shipments", std::mem::take(&mut s.shipments));
    measure(&mut rows, "invoices", std::mem::take(&mut s.invoices));
    measure(&mut rows, "receipts", std::mem::take(&mut s.receipts));
    measure(
        &mut rows,
        "purchase_orders",
        std::mem::take(&mut s.purchase_orders),
    );
    measure(
        &mut rows,
        "goods_receipts",
        std::mem::take(&mut s.goods_receipts),
    );
    measure(
        &mut rows,
        "supplier_invoices",
        std::mem::take(&mut s.supplier_invoices),
    );
    measure(
        &mut rows,
        "supplier_payments",
        std::mem::take(&mut s.supplier_payments),
    );
    measure(&mut rows, "counts", std::mem::take(&mut s.counts));
    measure(
        &mut rows,
        "last_counted",
        std::mem::take(&mut s.last_counted),
    );
    measure(&mut rows, "transfers", std::mem::take(&mut s.transfers));
    measure(&mut rows, "waves", std::mem::take(&mut s.waves));
    measure(&mut rows, "returns", std::mem::take(&mut s.returns));
    measure(
        &mut rows,
        "credit_memos",
        std::mem::take(&mut s.credit_memos),
    );
    measure(&mut rows, "unapplied", std::mem::take(&mut s.unapplied));
    measure(
        &mut rows,
        "unapplied_base",
        std::mem::take(&mut s.unapplied_base),
    );
    measure(
        &mut rows,
        "replenishment",
        std::mem::take(&mut s.replenishment),
    );
    measure(&mut rows, "demand", std::mem::take(&mut s.demand));
    measure(&mut rows, "lots", std::mem::take(&mut s.lots));
    measure(
        &mut rows,
        "manual_journals",
        std::mem::take(&mut s.manual_journals),
    );
    measure(
        &mut rows,
        "revaluations",
        std::mem::take(&mut s.revaluations),
    );
    measure(&mut rows, "bank_lines", std::mem::take(&mut s.bank_lines));
    measure(
        &mut rows,
        "bank_statements",
        std::mem::take(&mut s.bank_statements),
    );
    measure(&mut rows, "book_items", std::mem::take(&mut s.book_items));
    measure(&mut rows, "issued", std::mem::take(&mut s.issued));
    measure(
        &mut rows,
        "receipt_pools",
        std::mem::take(&mut s.receipt_pools),
    );
    measure(&mut rows, "pool_days", std::mem::take(&mut s.pool_days));
    measure(&mut rows, "refunds", std::mem::take(&mut s.refunds));
    measure(&mut rows, "allowances", std::mem::take(&mut s.allowances));
    measure(&mut rows, "credentials", std::mem::take(&mut s.credentials));
    measure(&mut rows, "sign_ins", std::mem::take(&mut s.sign_ins));
    measure(&mut rows, "demo", std::mem::take(&mut s.demo));
    measure(&mut rows, "printers", std::mem::take(&mut s.printers));
    measure(
        &mut rows,
        "default_printers",
        std::mem::take(&mut s.default_printers),
    );
    measure(
        &mut rows,
        "doc_profiles",
        std::mem::take(&mut s.doc_profiles),
    );
    measure(&mut rows, "prints", std::mem::take(&mut s.prints));
    measure(
        &mut rows,
        "order_history",
        std::mem::take(&mut s.order_history),
    );
    measure(
        &mut rows,
        "short_reasons",
        std::mem::take(&mut s.short_reasons),
    );
    measure(&mut rows, "zones", std::mem::take(&mut s.zones));
    measure(&mut rows, "year_closes", std::mem::take(&mut s.year_closes));
    measure(&mut rows, "exceptions", std::mem::take(&mut s.exceptions));
    measure(
        &mut rows,
        "open_exceptions",
        std::mem::take(&mut s.open_exceptions),
    );
    measure(
        &mut rows,
        "short_acknowledged",
        std::mem::take(&mut s.short_acknowledged),
    );
    measure(&mut rows, "persons", std::mem::take(&mut s.persons));
    measure(&mut rows, "debit_memos", std::mem::take(&mut s.debit_memos));
    measure(
        &mut rows,
        "supplier_debit_notes",
        std::mem::take(&mut s.supplier_debit_notes),
    );
    measure(
        &mut rows,
        "supplier_refunds",
        std::mem::take(&mut s.supplier_refunds),
    );
    measure(
        &mut rows,
        "supplier_debit",
        std::mem::take(&mut s.supplier_debit),
    );
    measure(
        &mut rows,
        "supplier_debit_base",
        std::mem::take(&mut s.supplier_debit_base),
    );
    measure(&mut rows, "deposits", std::mem::take(&mut s.deposits));
    measure(
        &mut rows,
        "quality_rules",
        std::mem::take(&mut s.quality_rules),
    );
    measure(
        &mut rows,
        "quality_names",
        std::mem::take(&mut s.quality_names),
    );
    measure(
        &mut rows,
        "dispute_resolutions",
        std::mem::take(&mut s.dispute_resolutions),
    );
    measure(
        &mut rows,
        "unapplied_since",
        std::mem::take(&mut s.unapplied_since),
    );
    measure(&mut rows, "dispute_by", std::mem::take(&mut s.dispute_by));
    measure(
        &mut rows,
        "exception_routing",
        std::mem::take(&mut s.exception_routing),
    );
    measure(
        &mut rows,
        "bank_reconciled",
        std::mem::take(&mut s.bank_reconciled),
    );
    measure(
        &mut rows,
        "channel_policies",
        std::mem::take(&mut s.channel_policies),
    );
    measure(
        &mut rows,
        "policy_overrides",
        std::mem::take(&mut s.policy_overrides),
    );
    measure(
        &mut rows,
        "order_policies",
        std::mem::take(&mut s.order_policies),
    );
    measure(&mut rows, "deliveries", std::mem::take(&mut s.deliveries));
    measure(&mut rows, "clock_notes", std::mem::take(&mut s.clock_notes));
    measure(
        &mut rows,
        "archived_orders",
        std::mem::take(&mut s.archived_orders),
    );
    measure(
        &mut rows,
        "archived_invoices",
        std::mem::take(&mut s.archived_invoices),
    );
    measure(&mut rows, "index (rest)", index);
    measure(&mut rows, "kpis (rest)", kpis);
    measure(&mut rows, "(rest)", s);
    rows.sort();
    for (bytes, name) in rows.iter().rev().filter(|(b, _)| *b > 0) {
        println!("{:>10.1} MB  {name}", mb(*bytes));
    }
}
