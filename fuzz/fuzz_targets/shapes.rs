//! Fuzz target `shapes`: its body is `config_tests::fuzz::shapes` (`tests/src/fuzz.rs`), shared
//! with the corpus replay test.
#![no_main]

#[path = "../../tests/src/fuzz.rs"]
#[allow(dead_code)]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::shapes(data));
