//! Loading a 100-field config, the same struct through each library in one run.
//!
//! From the process environment (the bench re-runs itself with the 100 variables set, so no
//! `set_var` is needed): this framework (`loader().env()`: unknown-variable checks,
//! provenance, validation), `envy` and `confique`.
//!
//! From a map of variables: this framework (`from_map`), `envy` (`from_iter`), `config`
//! (`Environment` source over a map, with parsing), `figment` (the variables as values parsed
//! the way its `Env` provider parses them).
//!
//! Run: `cargo bench -p config-benches --bench load`

use config_benches::{Hundred, HundredConfique, HundredSerde, variables};
use config_runtime::Config;

/// Set in the re-run child: the variables are in its environment.
const CHILD: &str = "CONFIG_BENCH_CHILD";

fn main() {
    if std::env::var_os(CHILD).is_some() {
        divan::main();
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().expect("the bench binary"))
        .args(std::env::args_os().skip(1))
        .envs(variables())
        .env(CHILD, "1")
        .status()
        .expect("the bench re-runs itself");
    std::process::exit(status.code().unwrap_or(1));
}

#[divan::bench]
fn env_typed_config(bencher: divan::Bencher) {
    bencher.bench_local(|| Hundred::loader().env().load().unwrap());
}

#[divan::bench]
fn env_envy(bencher: divan::Bencher) {
    bencher.bench_local(|| envy::prefixed("BENCH_").from_env::<HundredSerde>().unwrap());
}

#[divan::bench]
fn env_confique(bencher: divan::Bencher) {
    use confique::Config as _;
    bencher.bench_local(|| HundredConfique::builder().env().load().unwrap());
}

#[divan::bench]
fn map_typed_config(bencher: divan::Bencher) {
    let vars = variables();
    bencher.bench_local(|| Hundred::from_map(divan::black_box(vars.iter().cloned())).unwrap());
}

#[divan::bench]
fn map_envy(bencher: divan::Bencher) {
    let vars = variables();
    bencher.bench_local(|| {
        envy::prefixed("BENCH_")
            .from_iter::<_, HundredSerde>(divan::black_box(vars.iter().cloned()))
            .unwrap()
    });
}

#[divan::bench]
fn map_config_rs(bencher: divan::Bencher) {
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
fn map_figment(bencher: divan::Bencher) {
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
