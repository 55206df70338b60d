//! SOPS-encrypted YAML, JSON and dotenv files, decrypted in process (feature `sops`).
//!
//! `.file(..)`, `.file_optional(..)` and `.dotenv(..)` recognise a file that `sops encrypt`
//! wrote by its metadata (a top-level `sops` table; `sops_*` variables in a dotenv file), open
//! its data key with an age identity ([`AgeKeys`]: `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, then
//! sops' default key file, as the `sops` tool looks), decrypt every value with its path as the
//! additional data, keep its type, and verify the file's MAC before any value is used. A file
//! that does not open is one error naming the file and who it is encrypted to; nothing of it
//! is loaded. Its values are trusted as [`Trust::Decrypted`](crate::source::Trust::Decrypted):
//! taken literally, never quoted in errors, shown as `(encrypted)` by explain.

mod cipher;
mod keys;
mod metadata;
mod tree;

use std::fmt;

use serde_json::Value;

pub use keys::{AgeKeys, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE};

use crate::format::{FileValue, Located};

pub(crate) use crate::source::encrypted::METADATA;
use metadata::Metadata;

/// Why a file did not open. Names places and kinds, never a value or a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Nothing to try: no identity in any place looked at.
    NoIdentity { looked: String },
    /// Identities were found, none opens the data key.
    NoFit { count: usize },
    /// An age stanza that is not a valid age file (changed by hand).
    BrokenDataKey,
    /// A place that holds keys could not be read or holds a key of an unsupported kind.
    Keys(String),
    /// Not encrypted to any age recipient; a key service that is not built in.
    NoUsableRecipient,
    /// The metadata cannot be read.
    Metadata(String),
    /// Something sops can write that this reader does not take.
    Unsupported(String),
    /// A value did not decrypt (changed, moved, or another file's).
    Value {
        path: String,
        error: cipher::ValueError,
    },
    /// A leaf that the rules say is encrypted holds a number or a boolean.
    NotEncrypted { path: String },
    /// The MAC does not match the values.
    Mac,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NoIdentity { looked } => {
                write!(f, "no age identity to open it (looked in {looked})")
            }
            Failure::NoFit { count: 1 } => f.write_str("the age identity does not fit"),
            Failure::NoFit { count } => write!(f, "none of the {count} age identities fits"),
            Failure::BrokenDataKey => f.write_str("its encrypted data key is damaged"),
            Failure::Keys(message) => f.write_str(message),
            Failure::NoUsableRecipient => f.write_str(
                "it is not encrypted to an age recipient, and no other key service is built in",
            ),
            Failure::Metadata(message) => f.write_str(message),
            Failure::Unsupported(what) => write!(f, "{what} are not supported"),
            Failure::Value { path, error } => match error {
                cipher::ValueError::Authentication => write!(
                    f,
                    "the value of {path} fails authentication (the file was changed)"
                ),
                cipher::ValueError::Malformed => {
                    write!(f, "the value of {path} is not a valid sops value")
                }
                cipher::ValueError::UnsupportedType(kind) => write!(
                    f,
                    "the value of {path} has type `{}`, not str, int, float or bool",
                    crate::error::escape_controls(kind)
                ),
            },
            Failure::NotEncrypted { path } => {
                write!(f, "the value of {path} should be encrypted and is not")
            }
            Failure::Mac => f.write_str("the MAC does not match its values (the file was changed)"),
        }
    }
}

/// A file that did not open: the failure and who the file is encrypted to.
#[derive(Debug, Clone)]
pub(crate) struct SopsError {
    failure: Failure,
    recipients: String,
}

impl fmt::Display for SopsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot decrypt this SOPS file: {} (encrypted to {})",
            self.failure, self.recipients
        )
    }
}

impl SopsError {
    fn new(failure: Failure, metadata: &Metadata) -> Self {
        SopsError {
            failure,
            recipients: metadata.recipients().to_string(),
        }
    }

    fn without_metadata(failure: Failure) -> Self {
        SopsError {
            failure,
            recipients: "unknown recipients".to_owned(),
        }
    }
}

/// The data key of a file, from the key services it is encrypted to.
fn data_key(
    metadata: &Metadata,
    keys: &AgeKeys,
    max_size: u64,
) -> Result<cipher::DataKey, SopsError> {
    let fail = |failure| SopsError::new(failure, metadata);
    if !metadata.key_groups.is_empty() {
        return Err(fail(Failure::Unsupported(
            "files split into key groups (Shamir secret sharing)".to_owned(),
        )));
    }
    if metadata.age.is_empty() {
        return Err(fail(Failure::NoUsableRecipient));
    }
    keys::open_data_key(&metadata.age, keys, max_size).map_err(fail)
}

/// Decrypts a YAML or JSON document sops wrote (parsed with its types): its table without the
/// metadata, every value decrypted, the MAC verified.
pub(crate) fn decrypt_document(
    document: &Value,
    keys: &AgeKeys,
    max_size: u64,
) -> Result<Vec<(String, Located<FileValue>)>, SopsError> {
    let Some(root) = document.as_object() else {
        return Err(SopsError::without_metadata(Failure::Metadata(
            "the top level must be a table of keys".to_owned(),
        )));
    };
    let metadata = root
        .get(METADATA)
        .cloned()
        .map(Metadata::from_value)
        .transpose()
        .map_err(|message| SopsError::without_metadata(Failure::Metadata(message)))?
        .unwrap_or_default();
    let fail = |failure| SopsError::new(failure, &metadata);
    let key = data_key(&metadata, keys, max_size)?;
    let mut walk = tree::Walk::new(&key, &metadata).map_err(fail)?;
    let mut table = Vec::with_capacity(root.len());
    let mut path = Vec::new();
    for (name, value) in root.iter().filter(|(name, _)| *name != METADATA) {
        path.push(name.clone());
        let value = walk.tree(value, &mut path).map_err(fail)?;
        path.pop();
        table.push((name.clone(), Located { value, line: None }));
    }
    walk.verify(&metadata).map_err(fail)?;
    Ok(table)
}

/// One variable of a dotenv file sops wrote, decrypted.
pub(crate) struct DotenvValue {
    pub name: String,
    pub value: String,
    pub line: u32,
}

/// Decrypts a dotenv file sops wrote, read as sops reads it: `NAME=value` lines, `#`
/// comments, `\n` in a value is a line break, no quoting.
pub(crate) fn decrypt_dotenv(
    text: &str,
    keys: &AgeKeys,
    max_size: u64,
) -> Result<Vec<DotenvValue>, SopsError> {
    let mut values = Vec::new();
    let mut flat = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(SopsError::without_metadata(Failure::Metadata(format!(
                "line {} is not NAME=value",
                index + 1
            ))));
        };
        let value = value.replace("\\n", "\n");
        match name.strip_prefix("sops_") {
            Some(meta) => flat.push((meta.to_owned(), value)),
            None => values.push((name.to_owned(), value, index + 1)),
        }
    }
    let metadata = Metadata::from_flat(&flat)
        .map_err(|message| SopsError::without_metadata(Failure::Metadata(message)))?;
    let fail = |failure| SopsError::new(failure, &metadata);
    let key = data_key(&metadata, keys, max_size)?;
    let mut walk = tree::Walk::new(&key, &metadata).map_err(fail)?;
    let mut decrypted = Vec::with_capacity(values.len());
    for (name, value, line) in values {
        let path = [name];
        let FileValue::Scalar(plain) = walk.leaf(&Value::String(value), &path).map_err(fail)?
        else {
            unreachable!("a text leaf decrypts to text");
        };
        let [name] = path;
        decrypted.push(DotenvValue {
            name,
            value: plain,
            line: u32::try_from(line).unwrap_or(u32::MAX),
        });
    }
    walk.verify(&metadata).map_err(fail)?;
    Ok(decrypted)
}
