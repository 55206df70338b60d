//! Load on the admin router: 8 client threads read `/config` while one writer sets, clears and
//! tries invalid overrides and another rewrites the watched file with valid and invalid
//! contents. No request may fail and no answer may show an invalid value. (While the file
//! holds an invalid change, an override that does not mask it is refused too: the whole
//! configuration must validate.)
//!
//! It runs for `LOAD_TEST_SECONDS` (3 by default, so the suite stays quick; the figures in the
//! README come from `LOAD_TEST_SECONDS=30`) and prints its figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use config_runtime::Secret;
use config_tests::files::save;
use config_tests::{Scratch, watch_file};
use serde_json::{Value, json};

const TOKEN: &str = "load-test-admin-token-0123456789";
const READERS: usize = 8;
const LEVELS: [&str; 4] = ["error", "warn", "info", "debug"];

/// What one reader saw.
#[derive(Default)]
struct Seen {
    requests: u64,
    latencies: Vec<Duration>,
}

/// Checks one `/config` answer: every value valid, versions only growing.
fn check(report: &Value, last_version: &mut u64) {
    let value = |key: &str| {
        report["keys"]
            .as_array()
            .and_then(|rows| rows.iter().find(|row| row["key"] == key))
            .and_then(|row| row["value"].as_str())
            .unwrap_or_else(|| panic!("no {key}: {report}"))
            .to_owned()
    };
    let level = value("log_level");
    assert!(
        LEVELS.contains(&level.as_str()),
        "invalid log level served: {level}"
    );
    let port: u16 = value("port").parse().expect("a port");
    assert!(port >= 1, "invalid port served");
    let version = report["version"].as_u64().expect("a version");
    assert!(
        version >= *last_version,
        "version went back: {version} < {last_version}"
    );
    *last_version = version;
}

fn reader(base: String, stop: Arc<AtomicBool>) -> Seen {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let client = reqwest::Client::new();
        let mut seen = Seen::default();
        let mut last_version = 0;
        while !stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            let answer = client
                .get(format!("{base}/config"))
                .send()
                .await
                .expect("no request fails");
            assert_eq!(answer.status(), 200);
            let report: Value = answer.json().await.expect("a JSON report");
            seen.latencies.push(started.elapsed());
            seen.requests += 1;
            check(&report, &mut last_version);
        }
        seen
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_never_fail_nor_see_an_invalid_value_under_overrides_and_reloads() {
    let seconds: u64 = std::env::var("LOAD_TEST_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let scratch = Scratch::new();
    let path = scratch.write("app.toml", "log_level = \"info\"\nport = 8000\n");
    let live = watch_file(&path).await;
    let app = config_runtime::http::router(live.clone(), Secret::new(TOKEN.to_owned()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, app).into_future());

    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (base, stop) = (base.clone(), Arc::clone(&stop));
            std::thread::spawn(move || reader(base, stop))
        })
        .collect();

    // File writer: valid and invalid contents in turn (an invalid port, an invalid level).
    let file_writes = Arc::new(AtomicU64::new(0));
    let writer = {
        let (stop, writes, path) = (Arc::clone(&stop), Arc::clone(&file_writes), path.clone());
        std::thread::spawn(move || {
            let mut round = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let text = match round % 4 {
                    0 => "log_level = \"warn\"\nport = 8001\n".to_owned(),
                    1 => "log_level = \"loud\"\nport = 8002\n".to_owned(),
                    2 => "log_level = \"error\"\nport = 0\n".to_owned(),
                    _ => format!("log_level = \"{}\"\nport = 8003\n", LEVELS[round % 3]),
                };
                save(&path, &text);
                writes.fetch_add(1, Ordering::Relaxed);
                round += 1;
                // Longer than the debounce: each write is reloaded on its own.
                std::thread::sleep(Duration::from_millis(80));
            }
        })
    };

    // Override writer: set valid values, try invalid ones (422), clear.
    let client = reqwest::Client::new();
    let (mut applied, mut refused, mut cleared, mut refused_with_file) = (0u64, 0, 0, 0);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut round = 0usize;
    while Instant::now() < deadline {
        let route = format!("{base}/config/overrides/log_level");
        let answer = match round % 3 {
            0 => client
                .put(&route)
                .json(&json!({ "value": LEVELS[round % 4] })),
            1 => client.put(&route).json(&json!({ "value": "loud" })),
            _ => client.delete(&route),
        }
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("no override request fails");
        // While the file holds an invalid change, a set or a clear that does not mask it is
        // refused too: the configuration as a whole must validate.
        match (round % 3, answer.status().as_u16()) {
            (0, 200) => applied += 1,
            (2, 200) => cleared += 1,
            (1, 422) => refused += 1,
            (0 | 2, 422) | (2, 404) => refused_with_file += 1,
            (kind, status) => panic!("override round {kind} answered {status}"),
        }
        round += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let mut latencies = Vec::new();
    let mut requests = 0;
    for reader in readers {
        let seen = reader.join().expect("a reader saw only valid answers");
        requests += seen.requests;
        latencies.extend(seen.latencies);
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    let metrics = live.metrics();
    println!(
        "load: {seconds} s, {READERS} readers: {requests} reads of /config ({:.0}/s), \
         latency p50 {:?} p99 {:?} max {:?}; overrides: {applied} applied, {refused} invalid \
         refused (422), {cleared} cleared, {refused_with_file} refused while the file was \
         invalid; file writes {}; reloads applied {}, rejected {}; final \
         version {}",
        requests as f64 / seconds as f64,
        at(0.5),
        at(0.99),
        latencies[latencies.len() - 1],
        file_writes.load(Ordering::Relaxed),
        metrics.applied,
        metrics.rejected,
        live.version()
    );
    assert!(requests > 0 && applied > 0 && refused > 0 && cleared > 0);
    assert!(metrics.rejected > 0, "invalid files were rejected");
}
