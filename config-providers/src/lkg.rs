//! The last-known-good store: every secret a provider resolves is also written, encrypted
//! (ChaCha20-Poly1305), to a file only its owner can read. When the provider is unreachable at
//! start-up, a value younger than the maximum age (default one hour) is used instead, and the
//! load reports a warning naming its age. Older values, or a file that group or others can
//! read, are refused.
//!
//! File layout: 12-byte random nonce, then the AEAD ciphertext of a JSON document
//! `{ "<path>": { "saved": <unix seconds>, "version": .., "text": .. | "fields": {..} } }`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use config_runtime::{Payload, ProviderError, ProviderErrorKind, SecretData};
use serde_json::{Value, json};

/// Length of the nonce that prefixes the file.
const NONCE_LEN: usize = 12;

/// An encrypted file of last-known-good secret values.
pub struct LastKnownGood {
    path: PathBuf,
    cipher: ChaCha20Poly1305,
    max_age: Duration,
    /// Serializes read-modify-write of the file within this process.
    lock: Mutex<()>,
}

impl std::fmt::Debug for LastKnownGood {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LastKnownGood")
            .field("path", &self.path)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

fn invalid(message: String) -> ProviderError {
    ProviderError::new(ProviderErrorKind::Invalid, message)
}

impl LastKnownGood {
    /// A store at `path` with a 32-byte key.
    pub fn new(path: impl AsRef<Path>, key: [u8; 32]) -> Self {
        LastKnownGood {
            path: path.as_ref().to_path_buf(),
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
            max_age: Duration::from_secs(3600),
            lock: Mutex::new(()),
        }
    }

    /// A store whose key is 64 hex digits in the variable `var`.
    pub fn key_from_env(path: impl AsRef<Path>, var: &str) -> Result<Self, ProviderError> {
        let text = std::env::var(var).map_err(|_| invalid(format!("{var} is not set")))?;
        Ok(Self::new(path, parse_key(&text, var)?))
    }

    /// A store whose key is 64 hex digits in the file `key_file`.
    pub fn key_from_file(
        path: impl AsRef<Path>,
        key_file: impl AsRef<Path>,
    ) -> Result<Self, ProviderError> {
        let key_file = key_file.as_ref();
        let text = std::fs::read_to_string(key_file).map_err(|e| {
            invalid(format!(
                "cannot read the key file {}: {e}",
                key_file.display()
            ))
        })?;
        Ok(Self::new(
            path,
            parse_key(&text, &key_file.display().to_string())?,
        ))
    }

    /// How old a value may be and still be used (default one hour).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Saves the value of `path` (replacing the file atomically, mode 0600).
    pub(crate) fn save(&self, secret_path: &str, data: &SecretData) -> Result<(), ProviderError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut entries = self.read_all()?.unwrap_or_default();
        let payload = match &data.payload {
            Payload::Text(text) => json!({ "text": text.expose_secret() }),
            Payload::Fields(fields) => json!({
                "fields": fields.iter().map(|(k, v)| (k.clone(), Value::String(v.expose_secret().clone()))).collect::<serde_json::Map<_, _>>()
            }),
        };
        let mut entry = payload;
        entry["saved"] = json!(unix_now());
        entry["version"] = json!(data.version.as_ref().map(|v| v.as_str()));
        entries.insert(secret_path.to_owned(), entry);
        self.write_all(&entries)
    }

    /// The saved value of `path` and its age, if the file holds one younger than the maximum
    /// age. Errors for a file that others can read, a wrong key, or a value too old.
    pub(crate) fn load(&self, secret_path: &str) -> Result<(SecretData, Duration), ProviderError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let entries = self.read_all()?.ok_or_else(|| {
            invalid(format!(
                "the last-known-good store {} does not exist",
                self.path.display()
            ))
        })?;
        let entry = entries.get(secret_path).ok_or_else(|| {
            invalid(format!(
                "the last-known-good store has no value for `{secret_path}`"
            ))
        })?;
        let saved = entry["saved"].as_u64().unwrap_or(0);
        let age = Duration::from_secs(unix_now().saturating_sub(saved));
        if age > self.max_age {
            return Err(invalid(format!(
                "the last-known-good value of `{secret_path}` is {} old, older than the allowed {}",
                humanize(age),
                humanize(self.max_age)
            )));
        }
        let data = if let Some(text) = entry["text"].as_str() {
            SecretData::text(text)
        } else {
            let fields = entry["fields"].as_object().cloned().unwrap_or_default();
            SecretData::fields(fields.into_iter().map(|(k, v)| {
                (
                    k,
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string()),
                )
            }))
        };
        let data = match entry["version"].as_str() {
            Some(version) => data.with_version(version),
            None => data,
        };
        Ok((data, age))
    }

    /// Reads and decrypts the file; `None` when it does not exist.
    fn read_all(&self) -> Result<Option<Entries>, ProviderError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(invalid(format!("cannot read {}: {e}", self.path.display()))),
        };
        check_private(&self.path)?;
        if bytes.len() < NONCE_LEN {
            return Err(invalid(format!(
                "{} is not a last-known-good store",
                self.path.display()
            )));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| {
                invalid(format!(
                    "cannot decrypt {}: wrong key or damaged file",
                    self.path.display()
                ))
            })?;
        let plain = zeroize::Zeroizing::new(plain);
        serde_json::from_slice(&plain)
            .map(|entries| Some(Entries(entries)))
            .map_err(|_| invalid(format!("{} holds no valid document", self.path.display())))
    }

    fn write_all(&self, entries: &BTreeMap<String, Value>) -> Result<(), ProviderError> {
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(entries).map_err(|e| invalid(e.to_string()))?,
        );
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, plain.as_slice())
            .map_err(|_| invalid("encryption failed".to_owned()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&ciphertext);
        let temp = self.path.with_extension("tmp");
        write_private(&temp, &bytes)
            .and_then(|()| std::fs::rename(&temp, &self.path))
            .map_err(|e| invalid(format!("cannot write {}: {e}", self.path.display())))
    }
}

/// The decrypted document, its secret text wiped when dropped.
#[derive(Default)]
struct Entries(BTreeMap<String, Value>);

impl std::ops::Deref for Entries {
    type Target = BTreeMap<String, Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Entries {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Entries {
    fn drop(&mut self) {
        self.0.values_mut().for_each(crate::body::wipe);
    }
}

fn parse_key(text: &str, from: &str) -> Result<[u8; 32], ProviderError> {
    let bytes = hex::decode(text.trim())
        .map_err(|_| invalid(format!("the key in {from} is not hexadecimal")))?;
    bytes.try_into().map_err(|_| {
        invalid(format!(
            "the key in {from} must be 32 bytes (64 hex digits)"
        ))
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn humanize(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        _ => format!("{} h", secs / 3600),
    }
}

/// Refuses a file that group or others may read or write.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), ProviderError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(invalid(format!(
            "refusing the last-known-good store {}: its mode is {:o}, readable by group or others; it must be 600",
            path.display(),
            mode & 0o777
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), ProviderError> {
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_encrypted_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lkg.bin");
        let store = LastKnownGood::new(&path, [7; 32]);
        store
            .save(
                "secret/app",
                &SecretData::fields([("password", "lkg-canary-55")]).with_version("3"),
            )
            .unwrap();
        store.save("plain", &SecretData::text("t")).unwrap();
        let raw = std::fs::read(&path).unwrap();
        assert!(
            !String::from_utf8_lossy(&raw).contains("lkg-canary-55"),
            "encrypted at rest"
        );
        let (data, age) = store.load("secret/app").unwrap();
        assert_eq!(data.select(Some("password")).unwrap(), "lkg-canary-55");
        assert_eq!(data.version.as_deref(), Some("3"));
        assert!(age < Duration::from_secs(5));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let wrong = LastKnownGood::new(&path, [8; 32]);
        assert!(
            wrong
                .load("secret/app")
                .unwrap_err()
                .message
                .contains("wrong key")
        );
    }

    #[cfg(unix)]
    #[test]
    fn readable_files_and_old_values_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lkg.bin");
        let store = LastKnownGood::new(&path, [7; 32]);
        store.save("p", &SecretData::text("x")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.load("p").unwrap_err();
        assert!(err.message.contains("its mode is 644"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let strict = LastKnownGood::new(&path, [7; 32]).max_age(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(1100));
        assert!(
            strict
                .load("p")
                .unwrap_err()
                .message
                .contains("older than the allowed")
        );
    }
}
