//! The storm: 8 reader threads read continuously (through `get`, `load` and `cache`) while a
//! writer rewrites the file hundreds of times with valid, invalid and partial content. No
//! reader may ever see an invalid snapshot, versions seen by a reader never go back, and the
//! final valid content is applied.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use config_runtime::Config;
use config_runtime::live::{Live, ReloadEvent};
use config_tests::Scratch;
use config_tests::files::save;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_of_writes_never_shows_an_invalid_snapshot() {
    let dir = Scratch::new();
    let path = dir.write("pair.toml", &valid(0));
    let live = Pair::loader().file(&path).watch().await.unwrap();
    let mut events = live.subscribe();

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

    const FINAL: u64 = 1_000_000;
    save(&path, &valid(FINAL));
    tokio::time::timeout(Duration::from_secs(10), async {
        while live.get().a != FINAL {
            match events.recv().await {
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await
    .expect("the final content is applied");

    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().expect("no reader saw an invalid snapshot");
    }
    let cfg = live.get();
    assert_eq!((cfg.a, cfg.b), (FINAL, FINAL));
    let metrics = live.metrics();
    assert!(metrics.applied >= 1, "{metrics:?}");
    eprintln!(
        "storm: {} reads, {} reloads applied, {} rejected",
        reads.load(Ordering::Relaxed),
        metrics.applied,
        metrics.rejected
    );
    assert!(reads.load(Ordering::Relaxed) > 0);
    // No event must be left unexplained: every one is Applied or Rejected.
    while let Ok(event) = events.try_recv() {
        assert!(matches!(
            event,
            ReloadEvent::Applied(_) | ReloadEvent::Rejected { .. }
        ));
    }
}
