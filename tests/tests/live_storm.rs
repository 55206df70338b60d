//! The storm: 8 reader threads read continuously (through `get`, `load` and `cache`) while a
//! writer rewrites the file hundreds of times with valid, invalid and partial content. No
//! reader may ever see an invalid snapshot, versions seen by a reader never go back, every
//! reload is told to subscribers (a rejection at least once), and the final valid content is
//! applied.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use config_runtime::Config;
use config_runtime::live::{Live, ReloadEvent};
use config_tests::Scratch;
use config_tests::files::save;
use tokio::sync::broadcast::error::RecvError;

/// Valid exactly when `a == b` and `note` has `a % 40` characters: any cut of a valid file
/// misses `b`, is not TOML, or has `b` shorter than `a`; so a reader that ever sees the rule
/// broken saw an invalid snapshot.
#[derive(Config, Debug)]
#[config(prefix = "STORM", validate = Self::check)]
struct Pair {
    /// First copy.
    a: u64,
    /// Second copy.
    b: u64,
    /// Padding of `a % 40` characters, so partial writes have room to be cut.
    #[config(default = "")]
    note: String,
}

impl Pair {
    fn check(&self) -> Result<(), String> {
        (self.a == self.b && self.note.len() as u64 == self.a % 40)
            .then_some(())
            .ok_or_else(|| "a, b and note disagree".to_owned())
    }
}

fn valid(n: u64) -> String {
    format!(
        "note = \"{}\"\na = {n}\nb = {n}\n",
        "x".repeat((n % 40) as usize)
    )
}

fn assert_valid(cfg: &Pair) {
    assert_eq!(cfg.a, cfg.b, "a reader saw an invalid snapshot");
    assert_eq!(
        cfg.note.len() as u64,
        cfg.a % 40,
        "a reader saw an invalid snapshot"
    );
}

fn reader(live: Live<Pair>, stop: Arc<AtomicBool>, reads: Arc<AtomicU64>, style: usize) {
    let mut cache = live.cache();
    let mut last_version = 0;
    let mut count = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let version = live.version();
        match style % 3 {
            0 => {
                let cfg = live.get();
                assert_valid(&cfg);
            }
            1 => {
                let cfg = live.load();
                assert_valid(&cfg);
            }
            _ => {
                let cfg = cache.load();
                assert_valid(cfg);
            }
        }
        assert!(version >= last_version, "versions went back");
        last_version = version;
        count += 1;
    }
    reads.fetch_add(count, Ordering::Relaxed);
}

/// Every event the storm produced, as a subscriber saw it.
#[derive(Default)]
struct Tally {
    /// Versions of the `Applied` events, in order.
    applied: Vec<u64>,
    /// The text of each `Rejected` event.
    rejected: Vec<String>,
    /// Events of any other kind (there must be none).
    other: Vec<String>,
    /// Events lost because the subscriber lagged behind.
    missed: u64,
}

/// Subscribes and counts every event until aborted.
fn tally_events(live: &Live<Pair>) -> (Arc<Mutex<Tally>>, tokio::task::JoinHandle<()>) {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut events = live.subscribe();
    let counting = Arc::clone(&tally);
    let task = tokio::spawn(async move {
        loop {
            let event = events.recv().await;
            let mut tally = counting.lock().unwrap();
            match event {
                Ok(ReloadEvent::Applied(applied)) => tally.applied.push(applied.version),
                Ok(ReloadEvent::Rejected { error }) => tally.rejected.push(error.to_string()),
                Ok(other) => tally.other.push(other.to_string()),
                Err(RecvError::Lagged(missed)) => tally.missed += missed,
                Err(RecvError::Closed) => break,
            }
        }
    });
    (tally, task)
}

/// Waits (up to 10 s) until `done` holds for the tally.
async fn wait_for(tally: &Mutex<Tally>, what: &str, done: impl Fn(&Tally) -> bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while !done(&tally.lock().unwrap()) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what} within 10 s"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_of_writes_never_shows_an_invalid_snapshot() {
    let dir = Scratch::new();
    let path = dir.write("pair.toml", &valid(0));
    let live = Pair::loader().file(&path).watch().await.unwrap();
    let (tally, tally_task) = tally_events(&live);

    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..8)
        .map(|style| {
            let (live, stop, reads) = (live.clone(), stop.clone(), reads.clone());
            std::thread::spawn(move || reader(live, stop, reads, style))
        })
        .collect();

    let writer_path = path.clone();
    let writer = tokio::task::spawn_blocking(move || {
        for n in 1..=400u64 {
            match n % 5 {
                // Valid, atomically.
                0 | 1 => save(&writer_path, &valid(n)),
                // Valid, in place: truncate, then write in two pieces.
                2 => {
                    let text = valid(n);
                    let (first, rest) = text.split_at(text.len() / 2);
                    let mut file = std::fs::File::create(&writer_path).unwrap();
                    file.write_all(first.as_bytes()).unwrap();
                    file.flush().unwrap();
                    std::thread::sleep(Duration::from_micros(300));
                    file.write_all(rest.as_bytes()).unwrap();
                }
                // Invalid: the copies disagree, or not a number.
                3 => save(
                    &writer_path,
                    &if n % 2 == 0 {
                        format!("a = {n}\nb = {}\n", n + 1)
                    } else {
                        format!("a = {n}\nb = \"many\"\n")
                    },
                ),
                // Partial: a cut valid file left as it is.
                _ => {
                    let text = valid(n);
                    std::fs::write(&writer_path, &text[..text.len() * 2 / 3]).unwrap();
                }
            }
            // Mostly faster than the debounce; now and then a pause, so reloads land on every
            // kind of content.
            std::thread::sleep(Duration::from_millis(if n % 7 == 0 { 60 } else { 1 }));
        }
    });
    writer.await.unwrap();
    let rejected_in_storm = tally.lock().unwrap().rejected.len();

    // An invalid file that stays: it must be rejected (and said so) while the readers run.
    save(&path, "a = 1\nb = \"end-of-storm\"\n");
    wait_for(&tally, "the invalid file is rejected", |t| {
        t.rejected.iter().any(|text| text.contains("end-of-storm"))
    })
    .await;
    assert_valid(&live.get());

    const FINAL: u64 = 1_000_000;
    save(&path, &valid(FINAL));
    tokio::time::timeout(Duration::from_secs(10), async {
        while live.get().a != FINAL {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the final content is applied");
    let version = live.version();
    // The subscriber hears of the last applied reload (a lagging one loses the oldest).
    wait_for(&tally, "the final Applied event", |t| {
        t.applied.last() == Some(&version)
    })
    .await;

    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().expect("no reader saw an invalid snapshot");
    }
    let cfg = live.get();
    assert_eq!((cfg.a, cfg.b), (FINAL, FINAL));
    assert!(reads.load(Ordering::Relaxed) > 0);
    let metrics = live.metrics();
    tally_task.abort();
    let tally = tally.lock().unwrap();
    eprintln!(
        "storm: {} reads, {} reloads applied, {} rejected ({} rejections told, {} during the \
         writes), {} events missed",
        reads.load(Ordering::Relaxed),
        metrics.applied,
        metrics.rejected,
        tally.rejected.len(),
        rejected_in_storm,
        tally.missed,
    );

    // Every event is Applied or Rejected, and they add up with the metrics: each applied
    // reload told once, in version order; a rejection told at most once per rejected reload
    // (a repeat of the same error is not told again).
    assert!(
        tally.other.is_empty(),
        "unexpected events: {:?}",
        tally.other
    );
    assert!(metrics.applied >= 1, "{metrics:?}");
    assert!(metrics.rejected >= 1, "{metrics:?}");
    assert!(!tally.rejected.is_empty(), "no rejection was told");
    assert!(
        tally.rejected.len() as u64 <= metrics.rejected,
        "{metrics:?}"
    );
    assert!(
        tally.applied.windows(2).all(|pair| pair[0] < pair[1]),
        "applied versions go up: {:?}",
        tally.applied
    );
    assert_eq!(tally.applied.last(), Some(&version));
    if tally.missed == 0 {
        let told: Vec<u64> = (2..=version).collect();
        assert_eq!(tally.applied, told, "one Applied event per version");
        assert_eq!(tally.applied.len() as u64, metrics.applied, "{metrics:?}");
    } else {
        assert!(tally.applied.len() as u64 + tally.missed >= metrics.applied);
    }
}
