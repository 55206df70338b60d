//! Reading a live config: `Live::get` (an `Arc` clone through arc-swap), `Live::load` (a guard)
//! and `LiveCache::load` (a generation check) against the usual `RwLock<Arc<T>>`, read the
//! same way: `rwlock_arc_clone` clones the `Arc` as `get` does, `rwlock_read_guard` reads
//! through the guard as `load` and the cache do. With 1 and 2 reader threads, in the same run.
//!
//! Run: `cargo bench -p config-benches --bench live`

use std::sync::{Arc, LazyLock, RwLock};

use config_runtime::Config;
use config_runtime::live::Live;
use config_tests::{AppConfig, Scratch, required_vars};

fn main() {
    divan::main();
}

/// One live config for the whole run; its runtime and directory live as long as the process.
static LIVE: LazyLock<Live<AppConfig>> = LazyLock::new(|| {
    let runtime: &'static tokio::runtime::Runtime = Box::leak(Box::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap(),
    ));
    let dir: &'static Scratch = Box::leak(Box::new(Scratch::new()));
    let path = dir.write("config.toml", "port = 9000\n");
    runtime.block_on(async {
        AppConfig::loader()
            .file(path)
            .vars(required_vars(&[]))
            .watch()
            .await
            .unwrap()
    })
});

static LOCKED: LazyLock<RwLock<Arc<AppConfig>>> = LazyLock::new(|| RwLock::new(LIVE.get()));

#[divan::bench(threads = [1, 2])]
fn live_get(bencher: divan::Bencher) {
    let live = &*LIVE;
    bencher.bench(|| divan::black_box(live).get().port);
}

#[divan::bench(threads = [1, 2])]
fn live_load_guard(bencher: divan::Bencher) {
    let live = &*LIVE;
    bencher.bench(|| divan::black_box(live).load().port);
}

#[divan::bench(threads = [1, 2])]
fn live_cache(bencher: divan::Bencher) {
    let live = &*LIVE;
    bencher
        .with_inputs(|| live.cache())
        .bench_refs(|cache| divan::black_box(cache).load().port);
}

/// The lock baseline of `live_get`: a read lock, then a clone of the `Arc` (an owned snapshot,
/// as `get` returns).
#[divan::bench(threads = [1, 2])]
fn rwlock_arc_clone(bencher: divan::Bencher) {
    let lock = &*LOCKED;
    bencher.bench(|| Arc::clone(&divan::black_box(lock).read().unwrap()).port);
}

/// The lock baseline of `live_load_guard` and `live_cache`: a read through the lock's guard,
/// no clone (neither of them clones an `Arc` either).
#[divan::bench(threads = [1, 2])]
fn rwlock_read_guard(bencher: divan::Bencher) {
    let lock = &*LOCKED;
    bencher.bench(|| divan::black_box(lock).read().unwrap().port);
}
