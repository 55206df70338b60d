//! Parsing the TOML file of the reload bench (100 keys; 1,000 keys in 10 tables) into the
//! value tree by each reader a load may use: the line reader (what a load of this file
//! takes), the reader of `toml_parser`'s events, and the full `toml` parser both fall back to.
//!
//! Run: `cargo bench -p config-benches --bench toml_parse`

use config_runtime::__private::fuzz::{parse_toml_events, parse_toml_full, parse_toml_lines};

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
fn line_reader(bencher: divan::Bencher, tables: usize) {
    let text = document(tables);
    assert!(
        parse_toml_lines(&text).is_some(),
        "the line reader left the file"
    );
    bencher.bench_local(|| parse_toml_lines(divan::black_box(&text)));
}

#[divan::bench(args = [0, 10])]
fn event_reader(bencher: divan::Bencher, tables: usize) {
    let text = document(tables);
    assert!(
        parse_toml_events(&text).is_some(),
        "the event reader left the file"
    );
    bencher.bench_local(|| parse_toml_events(divan::black_box(&text)));
}

#[divan::bench(args = [0, 10])]
fn full_parser(bencher: divan::Bencher, tables: usize) {
    let text = document(tables);
    bencher.bench_local(|| parse_toml_full(divan::black_box(&text)));
}
