//! Parsing the TOML file of the reload bench (100 keys; 1,000 keys in 10 tables) into the
//! value tree by each reader a load may use: the line reader (what a load of this file
//! takes), the reader of `toml_parser`'s events, and the full `toml` parser both fall back to.
//!
//! Run: `cargo bench -p config-benches --bench toml_parse`

use config_benches::reload_toml;
use config_runtime::__private::fuzz::{parse_toml_events, parse_toml_full, parse_toml_lines};
use config_runtime::source::FileValue;

fn main() {
    divan::main();
}

/// The reload bench's file in each of `tables` tables (none when 0).
fn document(tables: usize) -> String {
    reload_toml((tables > 0).then_some(tables), 0)
}

/// Times a fast reader, which must read the whole file (else it would time a give-up).
fn bench_fast_reader(
    bencher: divan::Bencher,
    tables: usize,
    reader: fn(&str) -> Option<FileValue>,
) {
    let text = document(tables);
    assert!(reader(&text).is_some(), "the reader left the file");
    bencher.bench_local(|| reader(divan::black_box(&text)));
}

#[divan::bench(args = [0, 10])]
fn line_reader(bencher: divan::Bencher, tables: usize) {
    bench_fast_reader(bencher, tables, parse_toml_lines);
}

#[divan::bench(args = [0, 10])]
fn event_reader(bencher: divan::Bencher, tables: usize) {
    bench_fast_reader(bencher, tables, parse_toml_events);
}

#[divan::bench(args = [0, 10])]
fn full_parser(bencher: divan::Bencher, tables: usize) {
    let text = document(tables);
    bencher.bench_local(|| parse_toml_full(divan::black_box(&text)));
}
