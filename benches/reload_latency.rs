//! Time from a file write to the `ReloadEvent::Applied` event, over 200 writes, with the
//! default debounce (50 ms) and a short one (10 ms). Each write replaces the file by rename, as
//! editors do, and waits for its event before the next. Prints median and p99.
//!
//! Run: `cargo bench -p config-benches --bench reload_latency`

use std::time::{Duration, Instant};

use config_runtime::Config;
use config_runtime::live::{ReloadEvent, WatchOptions};

/// The watched config.
#[derive(Config, Debug)]
#[config(prefix = "LAT")]
struct Tuning {
    /// Changes on every write.
    #[config(default = 0)]
    counter: u32,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

async fn measure(debounce: Duration, writes: u32) -> Vec<Duration> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("tuning.toml");
    std::fs::write(&path, "counter = 0\n").expect("write");
    let live = Tuning::loader()
        .file(&path)
        .watch_with(WatchOptions::default().debounce(debounce))
        .await
        .expect("first load");
    let mut events = live.subscribe();
    let mut latencies = Vec::with_capacity(writes as usize);
    for counter in 1..=writes {
        let temp = path.with_extension("tmp");
        let started = Instant::now();
        std::fs::write(&temp, format!("counter = {counter}\n")).expect("write");
        std::fs::rename(&temp, &path).expect("rename");
        loop {
            let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
                .await
                .expect("an event within 10 s")
                .expect("the live config is running");
            if matches!(event, ReloadEvent::Applied(_)) && live.get().counter == counter {
                break;
            }
        }
        latencies.push(started.elapsed());
    }
    latencies.sort();
    latencies
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    for debounce in [Duration::from_millis(50), Duration::from_millis(10)] {
        let latencies = runtime.block_on(measure(debounce, 200));
        println!(
            "file write -> Applied, debounce {debounce:?}, 200 writes: median {:.1?}, p99 {:.1?}, max {:.1?}",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies[latencies.len() - 1]
        );
    }
}
