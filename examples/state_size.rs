//! Heap bytes per State field (measuring aid, issue 21).
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        System.realloc(p, l, n)
    }
}
#[global_allocator]
static A: Counting = Counting;
fn m<T: serde::Serialize + serde::de::DeserializeOwned>(
    name: &str,
    v: &T,
    out: &mut Vec<(isize, usize, String)>,
) {
    let cfg = bincode::config::standard();
    let bytes = bincode::serde::encode_to_vec(v, cfg).unwrap();
    let before = LIVE.load(Ordering::Relaxed);
    let (copy, _): (T, usize) = bincode::serde::decode_from_slice(&bytes, cfg).unwrap();
    let after = LIVE.load(Ordering::Relaxed);
    out.push((after - before, bytes.len(), name.to_string()));
    drop(copy);
}
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let store = depot::store::Store::open(std::path::Path::new(&dir)).unwrap();
    let before = LIVE.load(Ordering::Relaxed);
    let s = store.recover().unwrap().state;
    let total = LIVE.load(Ordering::Relaxed) - before;
    let mut out = Vec::new();
    m("entities", &s.entities, &mut out);
    m("accounts", &s.accounts, &mut out);
    m("posting_rules", &s.posting_rules, &mut out);
    m("periods", &s.periods, &mut out);
    m("warehouses", &s.warehouses, &mut out);
    m("bins", &s.bins, &mut out);
    m("items", &s.items, &mut out);
    m("barcodes", &s.barcodes, &mut out);
    m("customers", &s.customers, &mut out);
    m("suppliers", &s.suppliers, &mut out);
    m("price_lists", &s.price_lists, &mut out);
    m("contracts", &s.contracts, &mut out);
    m("tax_codes", &s.tax_codes, &mut out);
    m("carriers", &s.carriers, &mut out);
    m("terms", &s.terms, &mut out);
    m("fx_rates", &s.fx_rates, &mut out);
    m("operators", &s.operators, &mut out);
    m("category_floors", &s.category_floors, &mut out);
    m("changes", &s.changes, &mut out);
    m("bin_stock", &s.bin_stock, &mut out);
    m("stock", &s.stock, &mut out);
    m("costs", &s.costs, &mut out);
    m("ledger", &s.ledger, &mut out);
    m("keys", &s.keys, &mut out);
    m("orders", &s.orders, &mut out);
    m("picks", &s.picks, &mut out);
    m("shipments", &s.shipments, &mut out);
    m("invoices", &s.invoices, &mut out);
    m("receipts", &s.receipts, &mut out);
    m("purchase_orders", &s.purchase_orders, &mut out);
    m("goods_receipts", &s.goods_receipts, &mut out);
    m("supplier_invoices", &s.supplier_invoices, &mut out);
    m("supplier_payments", &s.supplier_payments, &mut out);
    m("counts", &s.counts, &mut out);
    m("last_counted", &s.last_counted, &mut out);
    m("transfers", &s.transfers, &mut out);
    m("waves", &s.waves, &mut out);
    m("returns", &s.returns, &mut out);
    m("credit_memos", &s.credit_memos, &mut out);
    m("unapplied", &s.unapplied, &mut out);
    m("unapplied_base", &s.unapplied_base, &mut out);
    m("replenishment", &s.replenishment, &mut out);
    m("demand", &s.demand, &mut out);
    m("lots", &s.lots, &mut out);
    m("manual_journals", &s.manual_journals, &mut out);
    m("revaluations", &s.revaluations, &mut out);
    m("bank_lines", &s.bank_lines, &mut out);
    m("bank_statements", &s.bank_statements, &mut out);
    m("book_items", &s.book_items, &mut out);
    m("index", &s.index, &mut out);
    m("issued", &s.issued, &mut out);
    m("receipt_pools", &s.receipt_pools, &mut out);
    m("pool_days", &s.pool_days, &mut out);
    m("refunds", &s.refunds, &mut out);
    m("allowances", &s.allowances, &mut out);
    m("credentials", &s.credentials, &mut out);
    m("sign_ins", &s.sign_ins, &mut out);
    m("printers", &s.printers, &mut out);
    m("default_printers", &s.default_printers, &mut out);
    m("doc_profiles", &s.doc_profiles, &mut out);
    m("prints", &s.prints, &mut out);
    m("order_history", &s.order_history, &mut out);
    m("short_reasons", &s.short_reasons, &mut out);
    m("zones", &s.zones, &mut out);
    m("year_closes", &s.year_closes, &mut out);
    m("exceptions", &s.exceptions, &mut out);
    m("open_exceptions", &s.open_exceptions, &mut out);
    m("short_acknowledged", &s.short_acknowledged, &mut out);
    m("persons", &s.persons, &mut out);
    m("debit_memos", &s.debit_memos, &mut out);
    m("supplier_debit_notes", &s.supplier_debit_notes, &mut out);
    m("supplier_refunds", &s.supplier_refunds, &mut out);
    m("supplier_debit", &s.supplier_debit, &mut out);
    m("supplier_debit_base", &s.supplier_debit_base, &mut out);
    m("deposits", &s.deposits, &mut out);
    m("quality_rules", &s.quality_rules, &mut out);
    m("quality_names", &s.quality_names, &mut out);
    m("dispute_resolutions", &s.dispute_resolutions, &mut out);
    m("unapplied_since", &s.unapplied_since, &mut out);
    m("dispute_by", &s.dispute_by, &mut out);
    m("exception_routing", &s.exception_routing, &mut out);
    m("bank_reconciled", &s.bank_reconciled, &mut out);
    m("channel_policies", &s.channel_policies, &mut out);
    m("policy_overrides", &s.policy_overrides, &mut out);
    m("order_policies", &s.order_policies, &mut out);
    m("deliveries", &s.deliveries, &mut out);
    m("kpis", &s.kpis, &mut out);
    m("clock_notes", &s.clock_notes, &mut out);
    m("archived_orders", &s.archived_orders, &mut out);
    m("archived_invoices", &s.archived_invoices, &mut out);
    m("kpis.acc", &s.kpis.acc, &mut out);
    m("kpis.orders", &s.kpis.orders, &mut out);
    m("ix.open_picks", &s.index.open_picks, &mut out);
    m("ix.picks_by_order", &s.index.picks_by_order, &mut out);
    m(
        "ix.shipments_by_order",
        &s.index.shipments_by_order,
        &mut out,
    );
    m(
        "ix.receipts_by_invoice",
        &s.index.receipts_by_invoice,
        &mut out,
    );
    m("ix.open_orders", &s.index.open_orders, &mut out);
    m("ix.uninvoiced", &s.index.uninvoiced, &mut out);
    m("ix.open_invoices", &s.index.open_invoices, &mut out);
    m("ix.item_bins", &s.index.item_bins, &mut out);
    m("kpis.disputed", &s.kpis.disputed, &mut out);
    println!(
        "sizes: OrderLine {} SalesOrder {} InvoiceLine {} Invoice {} String {} Decimal {}",
        std::mem::size_of::<depot::core::sales::OrderLine>(),
        std::mem::size_of::<depot::core::sales::SalesOrder>(),
        std::mem::size_of::<depot::core::billing::InvoiceLine>(),
        std::mem::size_of::<depot::core::billing::Invoice>(),
        std::mem::size_of::<String>(),
        std::mem::size_of::<rust_decimal::Decimal>()
    );
    println!("pool_days {} order_history {} exceptions {} book_items {} kpis.orders {} shipments {} picks {} receipts {}", s.pool_days.len(), s.order_history.len(), s.exceptions.len(), s.book_items.len(), s.kpis.orders.len(), s.shipments.len(), s.picks.len(), s.receipts.len());
    out.sort();
    out.reverse();
    let lines: usize = s.orders.values().map(|o| o.lines.len()).sum();
    println!(
        "state heap {} MB; orders {} lines {}",
        total / 1_000_000,
        s.orders.len(),
        lines
    );
    for (heap, enc, name) in out.iter().take(40) {
        println!("{:>12} heap {:>12} enc  {}", heap, enc, name);
    }
}
