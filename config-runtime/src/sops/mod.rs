//! SOPS-encrypted YAML, JSON and dotenv files, decrypted in process (feature `sops`).
//!
//! `.file(..)`, `.file_optional(..)` and `.dotenv(..)` recognise a file that `sops encrypt`
//! wrote by its metadata (a top-level `sops` table; `sops_*` variables in a dotenv file), open
//! its data key with an age identity ([`AgeKeys`]: `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, the
//! output of the command `SOPS_AGE_KEY_CMD`, then sops' default key file, as the `sops` tool
//! looks), decrypt every value with its path as the additional data, keep its type, and verify
//! the file's MAC before any value is used. A file that does not open is one error naming the
//! file and who it is encrypted to; nothing of it is loaded. Its values are trusted as
//! [`Trust::Decrypted`](crate::source::Trust::Decrypted): taken literally, never quoted in
//! errors, shown as `(encrypted)` by explain.

mod cipher;
mod command;
mod keys;
mod metadata;
mod tree;

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

pub use keys::{AgeKeys, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD, SOPS_AGE_KEY_FILE};

pub(crate) use cipher::DataKey;

use crate::format::{FileValue, Located};
use crate::key_service::{EncryptedDataKey, KeyService};

pub(crate) use crate::source::encrypted::METADATA;
use metadata::Metadata;

/// Why a file did not open. Names places and kinds, never a value or a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Nothing to try: no identity in any place looked at.
    NoIdentity { looked: String },
    /// Identities were found, none opens the data key; `silent` names a key command that
    /// printed none.
    NoFit {
        count: usize,
        silent: Option<String>,
    },
    /// An age stanza that is not a valid age file (changed by hand).
    BrokenDataKey,
    /// A place that holds keys could not be read or holds a key of an unsupported kind.
    Keys(String),
    /// Not encrypted to any age recipient, only to key services this reader cannot use.
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
            Failure::NoFit { count, silent } => {
                match count {
                    1 => f.write_str("the age identity does not fit")?,
                    count => write!(f, "none of the {count} age identities fits")?,
                }
                match silent {
                    Some(place) => write!(f, "; {place} printed none"),
                    None => Ok(()),
                }
            }
            Failure::BrokenDataKey => f.write_str("its encrypted data key is damaged"),
            Failure::Keys(message) => f.write_str(message),
            Failure::NoUsableRecipient => f.write_str(
                "it is encrypted to no age recipient and to no key service the loader has: \
                 register one with `.key_service(..)`, a `VaultProvider` for Vault/OpenBao \
                 transit (feature `vault` of config-providers) or an `aws::KmsKeyService` for \
                 AWS KMS (feature `aws`); GCP, Azure and PGP keys cannot be used in process \
                 yet: add an age recipient with `sops rotate --add-age age1..`",
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

/// A SOPS file read but not yet decrypted: its metadata and its encrypted body.
pub(crate) struct Parsed {
    metadata: Metadata,
    body: Body,
}

/// What a SOPS file holds besides its metadata.
enum Body {
    /// A YAML or JSON document, with its types.
    Document(Value),
    /// Variables of a dotenv file: name, value, line.
    Variables(Vec<(String, String, u32)>),
}

/// A decrypted, verified file.
pub(crate) enum Plain {
    /// The root table of a document, without the metadata.
    Table(Vec<(String, Located<FileValue>)>),
    /// The variables of a dotenv file.
    Variables(Vec<DotenvValue>),
}

/// One variable of a dotenv file sops wrote, decrypted.
pub(crate) struct DotenvValue {
    pub name: String,
    pub value: String,
    pub line: u32,
}

/// How the data key of a file is had.
pub(crate) enum KeyPlan {
    /// Opened already (an age identity fitted).
    Ready(cipher::DataKey),
    /// To be asked of a key service (network I/O).
    Service(Arc<dyn KeyService>, EncryptedDataKey),
}

impl Parsed {
    /// A YAML or JSON document sops wrote (parsed with its types).
    pub fn document(document: Value) -> Result<Parsed, SopsError> {
        let Some(root) = document.as_object() else {
            return Err(SopsError::without_metadata(Failure::Metadata(
                "the top level must be a table of keys".to_owned(),
            )));
        };
        let metadata = (root.get(METADATA).cloned())
            .map(Metadata::from_value)
            .transpose()
            .map_err(|message| SopsError::without_metadata(Failure::Metadata(message)))?
            .unwrap_or_default();
        Ok(Parsed {
            metadata,
            body: Body::Document(document),
        })
    }

    /// A dotenv file sops wrote, read as sops reads it: `NAME=value` lines, `#` comments, `\n`
    /// in a value is a line break, no quoting.
    pub fn dotenv(text: &str) -> Result<Parsed, SopsError> {
        let mut values = Vec::new();
        let mut flat = Vec::new();
        for (index, line) in text.split('\n').enumerate() {
            let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                return Err(SopsError::without_metadata(Failure::Metadata(format!(
                    "line {number} is not NAME=value"
                ))));
            };
            let value = value.replace("\\n", "\n");
            match name.strip_prefix("sops_") {
                Some(meta) => flat.push((meta.to_owned(), value)),
                None => values.push((name.to_owned(), value, number)),
            }
        }
        let metadata = Metadata::from_flat(&flat)
            .map_err(|message| SopsError::without_metadata(Failure::Metadata(message)))?;
        Ok(Parsed {
            metadata,
            body: Body::Variables(values),
        })
    }

    /// How to get the data key: an age identity that fits, else a registered key service the
    /// file is encrypted to.
    pub fn key_plan(
        &self,
        keys: &AgeKeys,
        services: &[Arc<dyn KeyService>],
        max_size: u64,
    ) -> Result<KeyPlan, SopsError> {
        let metadata = &self.metadata;
        let fail = |failure| SopsError::new(failure, metadata);
        if !metadata.key_groups.is_empty() {
            return Err(fail(Failure::Unsupported(
                "files split into key groups (Shamir secret sharing)".to_owned(),
            )));
        }
        let by_age = if metadata.age.is_empty() {
            Err(Failure::NoUsableRecipient)
        } else {
            keys::open_data_key(&metadata.age, keys, max_size)
        };
        let age_failure = match by_age {
            Ok(key) => return Ok(KeyPlan::Ready(key)),
            Err(failure) => failure,
        };
        let transit = metadata
            .hc_vault
            .iter()
            .map(|stanza| EncryptedDataKey::VaultTransit {
                address: stanza.vault_address.clone(),
                engine_path: stanza.engine_path.clone(),
                key_name: stanza.key_name.clone(),
                ciphertext: stanza.enc.clone(),
            });
        let kms = metadata.kms.iter().map(|stanza| EncryptedDataKey::AwsKms {
            arn: stanza.arn.clone(),
            ciphertext: stanza.enc.clone(),
            context: (stanza.context.iter())
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect(),
            role: (!stanza.role.is_empty()).then(|| stanza.role.clone()),
        });
        for key in transit.chain(kms) {
            if let Some(service) = services.iter().find(|s| s.kind() == key.kind()) {
                return Ok(KeyPlan::Service(Arc::clone(service), key));
            }
        }
        Err(fail(age_failure))
    }

    /// Decrypts every value with the data key and verifies the MAC.
    pub fn decrypt(self, key: &cipher::DataKey) -> Result<Plain, SopsError> {
        let Parsed { metadata, body } = self;
        let fail = |failure| SopsError::new(failure, &metadata);
        let mut walk = tree::Walk::new(key, &metadata).map_err(fail)?;
        let plain = match body {
            Body::Document(document) => {
                let root = document.as_object().into_iter().flatten();
                let mut table = Vec::new();
                let mut path = Vec::new();
                for (name, value) in root.filter(|(name, _)| *name != METADATA) {
                    path.push(name.clone());
                    let value = walk.tree(value, &mut path).map_err(fail)?;
                    path.pop();
                    table.push((name.clone(), Located { value, line: None }));
                }
                Plain::Table(table)
            }
            Body::Variables(values) => {
                let mut decrypted = Vec::with_capacity(values.len());
                for (name, value, line) in values {
                    let path = [name];
                    let FileValue::Scalar(value) =
                        walk.leaf(&Value::String(value), &path).map_err(fail)?
                    else {
                        unreachable!("a text leaf decrypts to text");
                    };
                    let [name] = path;
                    decrypted.push(DotenvValue { name, value, line });
                }
                Plain::Variables(decrypted)
            }
        };
        walk.verify(&metadata).map_err(fail)?;
        Ok(plain)
    }

    /// The error for a key service's answer that did not give a data key.
    pub fn service_failed(&self, message: &str) -> SopsError {
        let message = format!("the key service could not open the data key: {message}");
        SopsError::new(Failure::Keys(message), &self.metadata)
    }
}

/// A data key a key service returned, checked to be one.
pub(crate) fn data_key_from(bytes: &[u8]) -> Option<cipher::DataKey> {
    let mut key: cipher::DataKey = zeroize::Zeroizing::new([0; 32]);
    (bytes.len() == key.len()).then(|| {
        key.copy_from_slice(bytes);
        key
    })
}
