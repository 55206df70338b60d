//! The age identities that open a file's data key, found where the `sops` tool looks for
//! them, or given in code.

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use age::x25519::Identity;
use zeroize::Zeroizing;

use super::Failure;
use super::cipher::DataKey;
use super::metadata::AgeStanza;
use crate::secret::Secret;
use crate::source::file::{ReadFailure, read_limited};

/// Where the age identities of SOPS-encrypted files come from (feature `sops`). Keys are read
/// at every load, so a rotated key file is picked up by the next reload; the key text is wiped
/// once parsed, and the parsed identities are wiped when dropped.
///
/// ```no_run
/// # #[cfg(feature = "derive")] {
/// use config_runtime::Config;
/// use config_runtime::sops::AgeKeys;
///
/// #[derive(Config)]
/// struct App {
///     token: String,
/// }
///
/// let app = App::loader()
///     .age_keys(AgeKeys::file("/run/secrets/age-key.txt"))
///     .file("config.enc.yaml")
///     .load();
/// # }
/// ```
#[derive(Clone)]
pub struct AgeKeys {
    lookup: Lookup,
}

#[derive(Clone)]
enum Lookup {
    /// `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, then sops' default key file.
    Environment,
    File(PathBuf),
    Text(Arc<Secret<String>>),
}

/// `SOPS_AGE_KEY`: identities as text (several per line allowed).
pub const SOPS_AGE_KEY: &str = "SOPS_AGE_KEY";
/// `SOPS_AGE_KEY_FILE`: the path of a key file.
pub const SOPS_AGE_KEY_FILE: &str = "SOPS_AGE_KEY_FILE";

impl AgeKeys {
    /// As the `sops` tool finds them: every identity in `SOPS_AGE_KEY`, in the file
    /// `SOPS_AGE_KEY_FILE` names, and in sops' default key file
    /// (`$XDG_CONFIG_HOME/sops/age/keys.txt`, else `~/.config/sops/age/keys.txt`). The default.
    pub fn from_env() -> Self {
        AgeKeys {
            lookup: Lookup::Environment,
        }
    }

    /// The identities of a key file, as `age-keygen -o` writes it.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        AgeKeys {
            lookup: Lookup::File(path.into()),
        }
    }

    /// Identities given as text (`AGE-SECRET-KEY-1..`, one or more, blank-separated; `#`
    /// lines are comments), e.g. fetched from a secret store.
    pub fn text(keys: Secret<String>) -> Self {
        AgeKeys {
            lookup: Lookup::Text(Arc::new(keys)),
        }
    }
}

impl Default for AgeKeys {
    fn default() -> Self {
        Self::from_env()
    }
}

impl fmt::Debug for AgeKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.lookup {
            Lookup::Environment => f.write_str("AgeKeys::from_env()"),
            Lookup::File(path) => write!(f, "AgeKeys::file({path:?})"),
            Lookup::Text(_) => f.write_str("AgeKeys::text([REDACTED])"),
        }
    }
}

/// The identities found, and where the search looked (for messages).
struct Found {
    identities: Vec<Identity>,
    looked: Vec<String>,
}

impl AgeKeys {
    /// Every identity of every place this lookup reads. A key of a kind that is not an X25519
    /// age identity, or a place that cannot be read, is an error naming the place.
    fn find(&self, max_size: u64) -> Result<Found, Failure> {
        let mut found = Found {
            identities: Vec::new(),
            looked: Vec::new(),
        };
        match &self.lookup {
            Lookup::Text(text) => {
                found.looked.push("the keys given to the loader".to_owned());
                parse_into(
                    text.expose_secret(),
                    "the keys given to the loader",
                    &mut found,
                )?;
            }
            Lookup::File(path) => read_key_file(path, Presence::Required, &mut found, max_size)?,
            Lookup::Environment => {
                found.looked.push(SOPS_AGE_KEY.to_owned());
                if let Some(text) = std::env::var_os(SOPS_AGE_KEY) {
                    let text = Zeroizing::new(text.to_string_lossy().into_owned());
                    parse_into(&text, SOPS_AGE_KEY, &mut found)?;
                }
                if let Some(path) = std::env::var_os(SOPS_AGE_KEY_FILE) {
                    read_key_file(Path::new(&path), Presence::Required, &mut found, max_size)?;
                } else {
                    found.looked.push(SOPS_AGE_KEY_FILE.to_owned());
                }
                if let Some(path) = default_key_file() {
                    read_key_file(&path, Presence::Optional, &mut found, max_size)?;
                }
            }
        }
        Ok(found)
    }
}

/// Whether a missing key file is an error (one the user named) or not (the default place).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Presence {
    Required,
    Optional,
}

/// sops' default key file: `$XDG_CONFIG_HOME/sops/age/keys.txt`, else under `~/.config`.
fn default_key_file() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config.join("sops").join("age").join("keys.txt"))
}

fn read_key_file(
    path: &Path,
    presence: Presence,
    found: &mut Found,
    max_size: u64,
) -> Result<(), Failure> {
    let place = format!("key file {}", path.display());
    found.looked.push(place.clone());
    let text = match read_limited(path, max_size) {
        Ok(text) => Zeroizing::new(text),
        Err(ReadFailure::Missing) if presence == Presence::Optional => return Ok(()),
        Err(ReadFailure::Missing) => {
            return Err(Failure::Keys(format!("{place}: file not found")));
        }
        Err(ReadFailure::Refused(message)) => return Err(Failure::Keys(message)),
    };
    parse_into(&text, &place, found)
}

/// Parses identities out of `text` (from `place`, named in errors; the text never is).
fn parse_into(text: &str, place: &str, found: &mut Found) -> Result<(), Failure> {
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        for word in line.split_whitespace() {
            let identity = Identity::from_str(word).map_err(|_| {
                Failure::Keys(format!(
                    "{place} line {}: {}",
                    index + 1,
                    unsupported_kind(word)
                ))
            })?;
            found.identities.push(identity);
        }
    }
    Ok(())
}

/// What a key that is not an X25519 age identity is, for the message.
fn unsupported_kind(word: &str) -> String {
    let kind = if word.starts_with("AGE-PLUGIN-") {
        "an age plugin identity"
    } else if word.starts_with("AGE-SECRET-KEY-PQ-") {
        "a post-quantum age identity"
    } else if word.starts_with("-----BEGIN") || word.starts_with("ssh-") {
        "an SSH key"
    } else if word.starts_with("AGE-SECRET-KEY-") {
        "a malformed age identity"
    } else {
        "not an age identity"
    };
    format!("{kind}; only X25519 age identities (AGE-SECRET-KEY-1..) are supported")
}

/// The data key, from the first age stanza one of the identities opens.
pub(crate) fn open_data_key(
    stanzas: &[AgeStanza],
    keys: &AgeKeys,
    max_size: u64,
) -> Result<DataKey, Failure> {
    let found = keys.find(max_size)?;
    if found.identities.is_empty() {
        return Err(Failure::NoIdentity {
            looked: found.looked.join(", "),
        });
    }
    let mut broken = false;
    for stanza in stanzas {
        match unwrap(&stanza.enc, &found.identities) {
            Ok(key) => return Ok(key),
            Err(age::DecryptError::NoMatchingKeys) => {}
            Err(_) => broken = true,
        }
    }
    Err(if broken {
        Failure::BrokenDataKey
    } else {
        Failure::NoFit {
            count: found.identities.len(),
        }
    })
}

/// One armored age file holding 32 bytes, decrypted with the first identity that fits.
fn unwrap(armored: &str, identities: &[Identity]) -> Result<DataKey, age::DecryptError> {
    let reader = age::armor::ArmoredReader::new(armored.as_bytes());
    let decryptor = age::Decryptor::new(reader)?;
    let mut stream = decryptor.decrypt(identities.iter().map(|i| i as &dyn age::Identity))?;
    let mut plain = Zeroizing::new(Vec::with_capacity(32));
    stream.read_to_end(&mut plain)?;
    let mut key: DataKey = Zeroizing::new([0; 32]);
    if plain.len() != key.len() {
        return Err(age::DecryptError::DecryptionFailed);
    }
    key.copy_from_slice(&plain);
    Ok(key)
}
