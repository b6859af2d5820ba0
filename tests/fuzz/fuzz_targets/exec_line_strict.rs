#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| depot::fuzz::exec_line_strict(data));
