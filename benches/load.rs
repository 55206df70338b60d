//! Loading a 100-field config from a map of variables: this framework (`from_map`, with
//! unknown-variable checks, provenance and validation) against `envy` (plain serde) on the
//! same struct, in the same run.
//!
//! Run: `cargo bench -p config-benches --bench load`

use config_benches::{Hundred, HundredSerde, variables};
use config_runtime::Config;

fn main() {
    divan::main();
}

#[divan::bench]
fn typed_config_from_map(bencher: divan::Bencher) {
    let vars = variables();
    bencher.bench_local(|| Hundred::from_map(divan::black_box(vars.iter().cloned())).unwrap());
}

#[divan::bench]
fn envy_from_iter(bencher: divan::Bencher) {
    let vars = variables();
    bencher.bench_local(|| {
        envy::prefixed("BENCH_")
            .from_iter::<_, HundredSerde>(divan::black_box(vars.iter().cloned()))
            .unwrap()
    });
}
