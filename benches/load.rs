//! Loading a 100-field config from a map of variables, the same struct through each library
//! in one run: this framework (`from_map`: unknown-variable checks, provenance, validation),
//! `envy` (serde over the variables), `config` (`Environment` source over a map, with
//! parsing), `figment` (the variables as values parsed the way its `Env` provider parses
//! them). `confique` reads only the process environment, which a bench cannot set safely, so
//! it is not in this run.
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

#[divan::bench]
fn config_rs_environment(bencher: divan::Bencher) {
    let vars = variables();
    bencher.bench_local(|| {
        let map: config::Map<String, String> = divan::black_box(vars.iter().cloned()).collect();
        config::Config::builder()
            .add_source(
                config::Environment::with_prefix("BENCH")
                    .try_parsing(true)
                    .source(Some(map)),
            )
            .build()
            .unwrap()
            .try_deserialize::<HundredSerde>()
            .unwrap()
    });
}

#[divan::bench]
fn figment_values(bencher: divan::Bencher) {
    use figment::value::{Dict, Value};
    let vars = variables();
    bencher.bench_local(|| {
        let dict: Dict = divan::black_box(vars.iter())
            .map(|(name, value)| {
                let key = name.trim_start_matches("BENCH_").to_ascii_lowercase();
                (key, value.parse::<Value>().unwrap())
            })
            .collect();
        figment::Figment::from(figment::providers::Serialized::defaults(dict))
            .extract::<HundredSerde>()
            .unwrap()
    });
}
