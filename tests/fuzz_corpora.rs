//! Every input kept in `tests/fuzz/corpus/<target>/` (seeds, and what
//! `cargo fuzz` found and minimised) replayed through its target on the
//! stable toolchain, so that a crash once found stays fixed.

use std::path::Path;

fn replay(target: &str, f: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(target);
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = e.expect("entry").path();
        let data = std::fs::read(&path).expect("read");
        let r = std::panic::catch_unwind(|| f(&data));
        assert!(r.is_ok(), "{target}: {} makes it panic", path.display());
        n += 1;
    }
    assert!(n > 0, "{target}: the corpus is empty");
}

#[test]
fn exec_line_corpus() {
    replay("exec_line", depot::fuzz::exec_line);
}

#[test]
fn csv_import_corpus() {
    replay("csv_import", depot::fuzz::csv_import);
}

#[test]
fn scan_corpus() {
    replay("scan", depot::fuzz::scan);
}

#[test]
fn store_record_corpus() {
    replay("store_record", depot::fuzz::store_record);
}

#[test]
fn exec_line_strict_corpus() {
    replay("exec_line_strict", depot::fuzz::exec_line_strict);
}
