//! libFuzzer entry point: arbitrary bytes through the whole pipeline (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tierform_fuzz::run(data));
