//! One reload of a live config from a TOML file of 100 and of 1,000 keys: read, parse, merge,
//! validate, compare and swap (the file alternates between two contents, so every reload
//! swaps). No debounce: `Live::reload` is called directly, and file watching is parked (a
//! polling watcher with an hour's interval) so it does not compete.
//!
//! The peers have no live config; what an application hand-rolls with them is measured the
//! same way (the file rewritten before each reload, the reload alone timed): `figment` and
//! `config` read and extract the file into the same struct (`Deserialize`), and the result is
//! swapped into an `ArcSwap`. They check no unknown keys, keep no provenance and compute no
//! changed keys.
//!
//! Run: `cargo bench -p config-benches --bench reload`

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use config_benches::{Hundred, HundredSerde, Thousand};
use config_runtime::Config;
use config_runtime::live::{Live, WatchOptions};

fn main() {
    divan::main();
}

/// A TOML file with the 100 keys of the 100-field config, in each of `sections` tables (no
/// table when `None`).
fn toml(sections: Option<usize>, round: u32) -> String {
    match sections {
        None => keys(round),
        Some(count) => (0..count)
            .map(|block| format!("[block_{block}]\n{}", keys(round)))
            .collect(),
    }
}

/// `field_000 = ..` to `field_099 = ..`, typed like the 100-field config.
fn keys(round: u32) -> String {
    let types = ["u32", "String", "bool", "u64", "f64"];
    let mut text = String::new();
    for i in 0..100 {
        let value = match types[i % 5] {
            "u32" | "u64" => format!("{}", i as u32 + round),
            "String" => format!("\"value-{i}-{round}\""),
            "bool" => round.is_multiple_of(2).to_string(),
            _ => format!("{}.5", i as u32 + round),
        };
        text.push_str(&format!("field_{i:03} = {value}\n"));
    }
    text
}

fn bench_reload<T: Config + Send + Sync>(bencher: divan::Bencher, sections: Option<usize>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let contents = [toml(sections, 0), toml(sections, 1)];
    std::fs::write(&path, &contents[0]).unwrap();
    let options = WatchOptions::default()
        .force_poll(true)
        .poll_interval(Duration::from_secs(3600))
        .remote_poll_interval(Duration::ZERO);
    let live: Live<T> = runtime
        .block_on(T::loader().file(&path).watch_with(options))
        .unwrap();
    let mut round = 0;
    bencher
        .with_inputs(|| {
            round += 1;
            write(&path, &contents[round % 2]);
        })
        .bench_local_values(|()| {
            let outcome = runtime.block_on(live.reload()).unwrap();
            divan::black_box(outcome);
        });
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// The 1,000-key file's struct for the peers: ten sections of the 100-field one.
#[derive(serde::Deserialize)]
#[allow(dead_code)] // read by nothing: the bench only swaps it in
struct ThousandSerde {
    block_0: HundredSerde,
    block_1: HundredSerde,
    block_2: HundredSerde,
    block_3: HundredSerde,
    block_4: HundredSerde,
    block_5: HundredSerde,
    block_6: HundredSerde,
    block_7: HundredSerde,
    block_8: HundredSerde,
    block_9: HundredSerde,
}

/// A peer's reload: `read` reads and extracts the file, and the result is swapped in.
fn bench_peer<T: Send + Sync>(
    bencher: divan::Bencher,
    sections: Option<usize>,
    read: fn(&Path) -> T,
) {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("config.toml");
    let contents = [toml(sections, 0), toml(sections, 1)];
    write(&path, &contents[0]);
    let current = ArcSwap::from_pointee(read(&path));
    let mut round = 0;
    bencher
        .with_inputs(|| {
            round += 1;
            write(&path, &contents[round % 2]);
        })
        .bench_local_values(|()| current.store(Arc::new(read(&path))));
}

fn figment_read<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    use figment::providers::{Format as _, Toml};
    figment::Figment::new()
        .merge(Toml::file(path))
        .extract()
        .unwrap()
}

fn config_read<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    config::Config::builder()
        .add_source(config::File::from(path))
        .build()
        .unwrap()
        .try_deserialize()
        .unwrap()
}

#[divan::bench(sample_count = 200, sample_size = 1)]
fn reload_100_keys(bencher: divan::Bencher) {
    bench_reload::<Hundred>(bencher, None);
}

#[divan::bench(sample_count = 100, sample_size = 1)]
fn reload_1000_keys(bencher: divan::Bencher) {
    bench_reload::<Thousand>(bencher, Some(10));
}

#[divan::bench(sample_count = 200, sample_size = 1)]
fn reload_100_keys_figment(bencher: divan::Bencher) {
    bench_peer(bencher, None, figment_read::<HundredSerde>);
}

#[divan::bench(sample_count = 200, sample_size = 1)]
fn reload_100_keys_config(bencher: divan::Bencher) {
    bench_peer(bencher, None, config_read::<HundredSerde>);
}

#[divan::bench(sample_count = 100, sample_size = 1)]
fn reload_1000_keys_figment(bencher: divan::Bencher) {
    bench_peer(bencher, Some(10), figment_read::<ThousandSerde>);
}

#[divan::bench(sample_count = 100, sample_size = 1)]
fn reload_1000_keys_config(bencher: divan::Bencher) {
    bench_peer(bencher, Some(10), config_read::<ThousandSerde>);
}
