//! Replays every saved fuzz input (`fuzz/corpus/<target>/`) through the body of its fuzz
//! target, so the corpus is checked on the stable toolchain without the fuzzer.

use config_tests::fuzz::{TARGETS, target};
use std::path::{Path, PathBuf};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_has_a_corpus() {
    for (name, _) in TARGETS {
        let dir = corpus_root().join(name);
        assert!(
            inputs(&dir).len() >= 5,
            "{} holds fewer than 5 inputs",
            dir.display()
        );
    }
}

#[test]
fn every_corpus_directory_names_a_target() {
    for entry in std::fs::read_dir(corpus_root()).expect("read fuzz/corpus") {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(target(&name).is_some(), "fuzz/corpus/{name} is no target");
    }
}

#[test]
fn the_corpus_replays_without_a_failure() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (name, body) in TARGETS {
        for path in inputs(&corpus_root().join(name)) {
            let data = std::fs::read(&path).expect("read a corpus input");
            count += 1;
            if std::panic::catch_unwind(|| body(&data)).is_err() {
                failures.push(path.display().to_string());
            }
        }
    }
    assert!(failures.is_empty(), "inputs that fail: {failures:#?}");
    assert!(count > 0);
}
