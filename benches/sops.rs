//! Loading a 100-value SOPS-encrypted YAML file, in one run: in process (age key unwrap, 100
//! AES-GCM values, the MAC), the same file in plain text, and what users do today: spawn
//! `sops decrypt` once and load its output. The files are made at start with the real
//! `age-keygen` and `sops` (see `tests/src/sops.rs`). Goal: in process adds at most 1 ms over
//! the plain file.
//!
//! Run: `cargo bench -p config-benches --bench sops`

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use config_benches::{Hundred, variables};
use config_runtime::sops::AgeKeys;
use config_runtime::{Config, Format};
use config_tests::sops::SopsTools;

/// The files, made once.
struct Fixture {
    _dir: tempfile::TempDir,
    plain: PathBuf,
    encrypted: PathBuf,
    key: PathBuf,
    sops: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let tools = SopsTools::find().expect("sops and age-keygen (see .ci/run)");
        let dir = tempfile::tempdir().expect("a scratch directory");
        let yaml: String = variables()
            .into_iter()
            .map(|(name, value)| {
                let key = name.trim_start_matches("BENCH_").to_lowercase();
                format!("{key}: \"{value}\"\n")
            })
            .collect();
        let plain = dir.path().join("plain.yaml");
        std::fs::write(&plain, yaml).expect("write the plain file");
        let key = tools.keygen(dir.path(), "key");
        let encrypted = dir.path().join("encrypted.yaml");
        std::fs::write(&encrypted, tools.encrypt(&plain, &[&key], &[])).expect("write");
        Fixture {
            plain,
            encrypted,
            key: key.file,
            sops: tools.sops_path().to_owned(),
            _dir: dir,
        }
    })
}

fn main() {
    fixture();
    divan::main();
}

#[divan::bench]
fn plain_file(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench_local(|| Hundred::loader().file(&f.plain).load().unwrap());
}

#[divan::bench]
fn sops_in_process(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench_local(|| {
        Hundred::loader()
            .age_keys(AgeKeys::file(&f.key))
            .file(&f.encrypted)
            .load()
            .unwrap()
    });
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn sops_decrypt_spawned(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench_local(|| {
        let output = Command::new(&f.sops)
            .args(["--disable-version-check", "decrypt"])
            .arg(&f.encrypted)
            .env("SOPS_AGE_KEY_FILE", &f.key)
            .output()
            .expect("run sops");
        assert!(output.status.success());
        let text = String::from_utf8(output.stdout).expect("UTF-8");
        Hundred::loader().string(text, Format::Yaml).load().unwrap()
    });
}
