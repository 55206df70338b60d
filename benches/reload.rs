//! One reload of a live config from a TOML file of 100 and of 1,000 keys: read, parse, merge,
//! validate, compare and swap (the file alternates between two contents, so every reload
//! swaps). No debounce: `Live::reload` is called directly, and file watching is parked (a
//! polling watcher with an hour's interval) so it does not compete.
//!
//! The untimed rewrite before each reload overwrites the file in place. Truncating it first
//! (`std::fs::write`) makes ext4 start writing the file back when it is closed (its
//! `auto_da_alloc` guard for files replaced by truncation), and that write's completion lands
//! in the timed reload: on the machine these figures come from, it doubled the median of the
//! 100-key reload. `REWRITE=truncate` in the environment measures that way instead.
//!
//! The peers have no live config; what an application hand-rolls with them is measured the
//! same way (the file rewritten before each reload, the reload alone timed): `figment` and
//! `config` read and extract the file into the same struct (`Deserialize`), and the result is
//! swapped into an `ArcSwap`. They check no unknown keys, keep no provenance and compute no
//! changed keys.
//!
//! `by_hand` is the floor of this protocol: the least a reload can do (read the file, split
//! its lines, parse each value by its type, count the values that changed, swap), written for
//! this file alone, with no library and no checks.
//!
//! Run: `cargo bench -p config-benches --bench reload`

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use config_benches::{Hundred, HundredSerde, Thousand, reload_toml};
use config_runtime::Config;
use config_runtime::live::{Live, WatchOptions};

fn main() {
    divan::main();
}

/// Times `reload` of a TOML file of `sections`, rewritten before each timed run (it
/// alternates between two contents, so every reload sees every value change). `start` reads
/// the first content, untimed, into what `reload` then works with.
fn bench_rewritten<S>(
    bencher: divan::Bencher,
    sections: Option<usize>,
    start: impl FnOnce(&Path) -> S,
    reload: impl Fn(&S, &Path),
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let contents = [reload_toml(sections, 0), reload_toml(sections, 1)];
    write(&path, &contents[0]);
    let state = start(&path);
    let mut round = 0;
    bencher
        .with_inputs(|| {
            round += 1;
            write(&path, &contents[round % 2]);
        })
        .bench_local_values(|()| reload(&state, &path));
}

fn bench_reload<T: Config + Send + Sync>(bencher: divan::Bencher, sections: Option<usize>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = WatchOptions::default()
        .force_poll(true)
        .poll_interval(Duration::from_secs(3600))
        .remote_poll_interval(Duration::ZERO);
    let start = |path: &Path| -> Live<T> {
        runtime
            .block_on(T::loader().file(path).watch_with(options))
            .unwrap()
    };
    bench_rewritten(bencher, sections, start, |live, _| {
        let outcome = runtime.block_on(live.reload()).unwrap();
        divan::black_box(outcome);
    });
}

/// Rewrites the file: in place, then cut to the new length (see the module docs), or by
/// truncation first when `REWRITE=truncate`.
fn write(path: &Path, text: &str) {
    use std::io::Write as _;
    if std::env::var_os("REWRITE").is_some_and(|how| how == "truncate") {
        return std::fs::write(path, text).unwrap();
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file.set_len(text.len() as u64).unwrap();
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
    let start = |path: &Path| ArcSwap::from_pointee(read(path));
    bench_rewritten(bencher, sections, start, |current, path| {
        current.store(Arc::new(read(path)));
    });
}

/// One value of the file, parsed by the type its key has in the 100-field config.
#[derive(PartialEq)]
enum ByHand {
    Integer(u64),
    Text(String),
    Flag(bool),
    Float(f64),
}

/// The file's values in order, read by hand: `key = value` lines, `[table]` lines skipped.
fn read_by_hand(path: &Path) -> Vec<ByHand> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut values = Vec::with_capacity(text.len() / 16);
    let mut field = 0;
    for line in text.lines() {
        if line.starts_with('[') {
            field = 0;
            continue;
        }
        let (_, value) = line.split_once(" = ").unwrap();
        values.push(match field % 5 {
            0 | 3 => ByHand::Integer(value.parse().unwrap()),
            1 => ByHand::Text(value.trim_matches('"').to_owned()),
            2 => ByHand::Flag(value.parse().unwrap()),
            _ => ByHand::Float(value.parse().unwrap()),
        });
        field += 1;
    }
    values
}

/// The floor: read by hand, count the changed values, swap.
fn bench_by_hand(bencher: divan::Bencher, sections: Option<usize>) {
    let start = |path: &Path| ArcSwap::from_pointee(read_by_hand(path));
    bench_rewritten(bencher, sections, start, |current, path| {
        let new = read_by_hand(path);
        let changed = (new.iter().zip(current.load().iter()))
            .filter(|(new, old)| new != old)
            .count();
        current.store(Arc::new(new));
        divan::black_box(changed);
    });
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

#[divan::bench(sample_count = 200, sample_size = 1)]
fn reload_100_keys_by_hand(bencher: divan::Bencher) {
    bench_by_hand(bencher, None);
}

#[divan::bench(sample_count = 100, sample_size = 1)]
fn reload_1000_keys_by_hand(bencher: divan::Bencher) {
    bench_by_hand(bencher, Some(10));
}
