//! Parsing the TOML file of the reload bench (100 keys; 1,000 keys in 10 tables) into the
//! value tree: the fast path on `toml_parser`'s events against the full `toml` parser it
//! falls back to.
//!
//! Run: `cargo bench -p config-benches --bench toml_parse`

use config_runtime::__private::fuzz::{parse_toml_fast, parse_toml_full};

fn main() {
    divan::main();
}

/// `field_000 = ..` to `field_099 = ..` in each of `tables` tables (none when 0), typed like
/// the reload bench's file.
fn document(tables: usize) -> String {
    let keys: String = (0..100)
        .map(|i| match i % 5 {
            0 | 3 => format!("field_{i:03} = {i}\n"),
            1 => format!("field_{i:03} = \"value-{i}\"\n"),
            2 => format!("field_{i:03} = true\n"),
            _ => format!("field_{i:03} = {i}.5\n"),
        })
        .collect();
    if tables == 0 {
        return keys;
    }
    (0..tables)
        .map(|table| format!("[block_{table}]\n{keys}"))
        .collect()
}

#[divan::bench(args = [0, 10])]
fn fast_path(bencher: divan::Bencher, tables: usize) {
    let text = document(tables);
    assert!(
        parse_toml_fast(&text).is_some(),
        "the fast path left the file"
    );
    bencher.bench_local(|| parse_toml_fast(divan::black_box(&text)));
}

#[divan::bench(args = [0, 10])]
fn full_parser(bencher: divan::Bencher, tables: usize) {
    let text = document(tables);
    bencher.bench_local(|| parse_toml_full(divan::black_box(&text)));
}
