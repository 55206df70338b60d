//! SOPS-encrypted YAML, JSON and dotenv files, decrypted in process (feature `sops`).
//!
//! `.file(..)`, `.file_optional(..)` and `.dotenv(..)` recognise a file that `sops encrypt`
//! wrote by its metadata (a top-level `sops` table; `sops_*` variables in a dotenv file), open
//! its data key with an age identity ([`AgeKeys`]: `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, the
//! output of the command `SOPS_AGE_KEY_CMD`, then sops' default key file, as the `sops` tool
//! looks) or with the key services the loader has (`Loader::key_service`: every AWS KMS and
//! Vault/OpenBao transit key the file is encrypted to), one master key after the other until
//! one opens it, in the order the `sops` tool tries them: the kinds [`SOPS_DECRYPTION_ORDER`]
//! names first ([`DecryptionOrder`]; `age,pgp` when unset, so age identities before any key
//! service), then the others (KMS, then transit), each kind's keys in file order. Then it
//! decrypts every value with its path as the additional data, keeps its type, and verifies
//! the file's MAC before any value is used. Each key and list item of a YAML or JSON file has
//! the line it is written on in the encrypted file, as in a plain file, and each value left
//! unencrypted the text written there, as a plain file gives it. A file that does not
//! open is one error naming the file and who it is encrypted to (and, when several keys were
//! tried, each one and why it failed: which age recipient no identity fitted, that no identity
//! was found, which key file is bad, what a key service answered); nothing of it is loaded.
//! Its values are trusted as [`Trust::Decrypted`](crate::source::Trust::Decrypted): taken
//! literally, never quoted in errors, shown as `(encrypted)` by explain.

mod cipher;
mod command;
mod keys;
mod metadata;
mod order;
mod tree;

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

pub use keys::{AgeKeys, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD, SOPS_AGE_KEY_FILE};
pub use order::{DecryptionOrder, SOPS_DECRYPTION_ORDER};

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
    /// The decryption order cannot be used (a kind named twice).
    Order(String),
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
            Failure::Keys(message) | Failure::Order(message) => f.write_str(message),
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
    /// A YAML or JSON document: with its types (`typed`, for the MAC), and as the format's
    /// reader gave it (`written`, for the line of each key and list item, and the text of
    /// each unencrypted value).
    Document {
        typed: Value,
        written: Located<FileValue>,
    },
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
    /// To be asked of key services (network I/O), and of age identities when the order puts
    /// them after a service ([`Parsed::open_by_services`]).
    Services(Steps),
}

/// The master keys of a file left to try, in the order `sops` tries them, and those that
/// already failed. Holds at least one key service.
pub(crate) struct Steps {
    failed: Vec<Attempt>,
    rest: Vec<Step>,
    keys: AgeKeys,
    max_size: u64,
}

/// One try at the data key.
enum Step {
    /// The file's age recipients, with the identities found (all of them at once: they
    /// follow one another in every order).
    Age,
    /// A KMS or transit key, with one registered service of its kind.
    Service(Candidate),
}

/// One master key of a file (a KMS key, a transit key) and a registered service of its kind
/// that may open it.
pub(crate) struct Candidate {
    service: Arc<dyn KeyService>,
    key: EncryptedDataKey,
}

/// A master key (or age recipients that failed alike) that did not give a data key: which,
/// and why (the service's error or the age failure, never key material).
#[derive(Clone)]
struct Attempt {
    key: String,
    reason: String,
    by_age: bool,
}

impl Attempt {
    /// One attempt per run of recipients that failed for the same reason, in order: a reason
    /// that holds for every recipient (no identity found, a key file that cannot be read) is
    /// said once.
    fn by_age(tried: Vec<(String, Failure)>) -> Vec<Attempt> {
        let mut attempts: Vec<(Vec<String>, String)> = Vec::new();
        for (recipient, failure) in tried {
            let reason = failure.to_string();
            let recipient = crate::error::escape_controls(&recipient).into_owned();
            match attempts.last_mut() {
                Some((recipients, last)) if *last == reason => recipients.push(recipient),
                _ => attempts.push((vec![recipient], reason)),
            }
        }
        (attempts.into_iter())
            .map(|(recipients, reason)| Attempt {
                key: match recipients.as_slice() {
                    [one] => format!("age recipient {one}"),
                    all => format!("age recipients {}", all.join(", ")),
                },
                reason,
                by_age: true,
            })
            .collect()
    }
}

/// The data key as a KMS key of the file holds it.
fn kms_key(stanza: &metadata::KmsStanza) -> EncryptedDataKey {
    EncryptedDataKey::AwsKms {
        arn: stanza.arn.clone(),
        ciphertext: stanza.enc.clone(),
        context: (stanza.context.iter())
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect(),
        role: (!stanza.role.is_empty()).then(|| stanza.role.clone()),
    }
}

/// The data key as a transit key of the file holds it.
fn transit_key(stanza: &metadata::VaultStanza) -> EncryptedDataKey {
    EncryptedDataKey::VaultTransit {
        address: stanza.vault_address.clone(),
        engine_path: stanza.engine_path.clone(),
        key_name: stanza.key_name.clone(),
        ciphertext: stanza.enc.clone(),
    }
}

/// How an error names a master key: its kind and the key as the file names it (the ARN and
/// role of a KMS key; address, mount and name of a transit key, as `sops` writes them).
fn key_name(key: &EncryptedDataKey) -> String {
    let name = match key {
        EncryptedDataKey::AwsKms {
            arn, role: None, ..
        } => format!("AWS KMS key {arn}"),
        EncryptedDataKey::AwsKms {
            arn,
            role: Some(role),
            ..
        } => format!("AWS KMS key {arn} (through role {role})"),
        EncryptedDataKey::VaultTransit {
            address,
            engine_path,
            key_name,
            ..
        } => format!("transit key {address}/v1/{engine_path}/keys/{key_name}"),
    };
    crate::error::escape_controls(&name).into_owned()
}

impl Parsed {
    /// A YAML or JSON document sops wrote: parsed with its types, and the root table the
    /// format's line-keeping reader gave for the same text (whose lines the decrypted keys
    /// and items take).
    pub fn document(
        document: Value,
        written: Vec<(String, Located<FileValue>)>,
    ) -> Result<Parsed, SopsError> {
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
        let written = Located {
            value: FileValue::Table(written),
            line: None,
        };
        Ok(Parsed {
            metadata,
            body: Body::Document {
                typed: document,
                written,
            },
        })
    }

    /// A dotenv file sops wrote, read as sops reads it: `NAME=value` lines, `#` comments, `\n`
    /// in a value is a line break, no quoting.
    pub fn dotenv(text: &str) -> Result<Parsed, SopsError> {
        let mut values = Vec::new();
        let mut flat = Vec::new();
        let mut lines = crate::format::KeyLines::default();
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
            lines
                .set(name, number)
                .map_err(|message| SopsError::without_metadata(Failure::Metadata(message)))?;
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

    /// How to get the data key: the file's master keys that can be tried here (its age
    /// recipients, and its KMS and transit keys with every registered service of their kind),
    /// in the order `sops` tries them.
    ///
    /// `sops` puts the master keys of a file in one list by kind (AWS KMS, GCP KMS, HuaweiCloud
    /// KMS, Azure Key Vault, Vault transit, PGP, age), each kind in file order, then sorts it,
    /// stably, by the place of each key's kind in its decryption order (`SOPS_DECRYPTION_ORDER`,
    /// `age,pgp` by default; kinds it does not name after those it names), and tries each key
    /// with each key service until one answers. So here: the kinds in that order, each key
    /// with every registered service of its kind, in the order they were registered. Age
    /// identities that come before every service are tried now (no network): the data key,
    /// or the steps left. A file with no service to ask is opened by age alone, or fails with
    /// the age failure.
    pub fn key_plan(
        &self,
        keys: &AgeKeys,
        order: &DecryptionOrder,
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
        let kinds = order
            .kinds()
            .map_err(|message| fail(Failure::Order(message)))?;
        let mut steps = Vec::new();
        for kind in kinds {
            let master_keys: Vec<EncryptedDataKey> = match kind {
                order::Kind::Age => {
                    if !metadata.age.is_empty() {
                        steps.push(Step::Age);
                    }
                    continue;
                }
                order::Kind::Kms => metadata.kms.iter().map(kms_key).collect(),
                order::Kind::VaultTransit => metadata.hc_vault.iter().map(transit_key).collect(),
                _ => continue,
            };
            for key in master_keys {
                let able = services.iter().filter(|s| s.kind() == key.kind());
                steps.extend(able.map(|service| {
                    Step::Service(Candidate {
                        service: Arc::clone(service),
                        key: key.clone(),
                    })
                }));
            }
        }
        let any_service = steps.iter().any(|step| matches!(step, Step::Service(_)));
        let mut failed = Vec::new();
        if let Some(Step::Age) = steps.first() {
            match keys::open_data_key(&metadata.age, keys, max_size) {
                Ok(key) => return Ok(KeyPlan::Ready(key)),
                // Age alone: its own error, as for a file with only age recipients.
                Err(age) if !any_service => return Err(fail(age.failure)),
                Err(age) => failed.extend(Attempt::by_age(age.tried)),
            }
            steps.remove(0);
        }
        if !any_service {
            return Err(fail(Failure::NoUsableRecipient));
        }
        Ok(KeyPlan::Services(Steps {
            failed,
            rest: steps,
            keys: keys.clone(),
            max_size,
        }))
    }

    /// Tries the steps of [`KeyPlan::Services`] one after the other, in their order, and
    /// returns the first data key one gives. A service's error or an answer that is not a
    /// 32-byte key moves on to the next; so does an age step whose identities do not open it.
    /// When none opens it, the error lists every attempt (the key and why it failed) in order.
    ///
    /// One at a time, not all at once: a data key is opened once per load, the first key
    /// usually answers, and asking every service at once would send each request (KMS bills
    /// and audits them, transit engines log them) for nothing; in order, the key used is the
    /// one `sops` would use. An age step after a service reads the identities only then (a
    /// key file, the key command), as `sops` does.
    pub async fn open_by_services(&self, steps: &Steps) -> Result<cipher::DataKey, SopsError> {
        let mut attempts = Vec::with_capacity(steps.failed.len() + steps.rest.len());
        attempts.extend(steps.failed.iter().cloned());
        for step in &steps.rest {
            let Step::Service(Candidate { service, key }) = step else {
                // Reads a key file or runs the key command: off the async workers, as every
                // file read of a load is.
                let opened = crate::loader::gather::off_workers(|| {
                    keys::open_data_key(&self.metadata.age, &steps.keys, steps.max_size)
                });
                match opened {
                    Ok(key) => return Ok(key),
                    Err(age) => attempts.extend(Attempt::by_age(age.tried)),
                }
                continue;
            };
            let name = key_name(key);
            let reason = match service.open(key).await {
                Ok(bytes) => match data_key_from(&bytes) {
                    Some(data_key) => return Ok(data_key),
                    None => "it answered with no 32-byte key".to_owned(),
                },
                // Services name the key first (`AWS KMS key ..: cannot reach AWS`): once is
                // enough.
                Err(e) => {
                    let message = e.to_string();
                    match message
                        .strip_prefix(&name)
                        .and_then(|m| m.strip_prefix(": "))
                    {
                        Some(rest) => rest.to_owned(),
                        None => message,
                    }
                }
            };
            attempts.push(Attempt {
                key: name,
                reason,
                by_age: false,
            });
        }
        Err(self.all_failed(&attempts))
    }

    /// Decrypts every value with the data key and verifies the MAC.
    pub fn decrypt(self, key: &cipher::DataKey) -> Result<Plain, SopsError> {
        let Parsed { metadata, body } = self;
        let fail = |failure| SopsError::new(failure, &metadata);
        let mut walk = tree::Walk::new(key, &metadata).map_err(fail)?;
        let plain = match body {
            Body::Document { typed, written } => {
                // The `sops` table is no value; positions still count it (lines are found by
                // position in the typed table).
                let root = typed.as_object().into_iter().flatten().enumerate();
                let values = root.filter(|(_, (name, _))| *name != METADATA);
                let placed = tree::Lines::root(&written).table();
                let table = walk.entries(values, placed, &mut Vec::new());
                Plain::Table(table.map_err(fail)?)
            }
            Body::Variables(values) => {
                let mut decrypted = Vec::with_capacity(values.len());
                for (name, value, line) in values {
                    let path = [name];
                    let FileValue::Scalar(value) = walk
                        .leaf(&Value::String(value), tree::Lines::none(), &path)
                        .map_err(fail)?
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

    /// The error for master keys that gave no data key: each attempt, in order.
    fn all_failed(&self, attempts: &[Attempt]) -> SopsError {
        let by_age = attempts.iter().any(|a| a.by_age);
        let message = match attempts {
            [one] => format!(
                "the key service could not open the data key: {}: {}",
                one.key, one.reason
            ),
            all => {
                let who = if by_age {
                    "neither age nor any key service"
                } else {
                    "no key service"
                };
                let mut message = format!("{who} could open the data key ({} tried):", all.len());
                for (number, attempt) in all.iter().enumerate() {
                    let separator = if number == 0 { "" } else { ";" };
                    message.push_str(&format!(
                        "{separator} ({}) {}: {}",
                        number + 1,
                        attempt.key,
                        attempt.reason
                    ));
                }
                message
            }
        };
        SopsError::new(Failure::Keys(message), &self.metadata)
    }
}

/// A data key a key service returned, checked to be one.
fn data_key_from(bytes: &[u8]) -> Option<cipher::DataKey> {
    let mut key: cipher::DataKey = zeroize::Zeroizing::new([0; 32]);
    (bytes.len() == key.len()).then(|| {
        key.copy_from_slice(bytes);
        key
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::key_service::KeyServiceKind;
    use crate::provider::{BoxFuture, ProviderError, ProviderErrorKind};

    /// A name set twice in a dotenv file sops wrote is refused before anything is decrypted,
    /// naming both lines and no value.
    #[test]
    fn a_dotenv_name_set_twice_is_refused() {
        let text = "A=ENC[one-canary]\nB=ENC[two]\nA=ENC[three-canary]\n";
        let Err(error) = Parsed::dotenv(text) else {
            panic!("a repeated name was taken");
        };
        let shown = format!("{error} {error:?}");
        assert!(
            shown.contains("A is set twice, on lines 1 and 3"),
            "{shown}"
        );
        assert!(!shown.contains("canary"), "{shown}");
    }

    /// What a test service answers for a key, by the key's name.
    #[derive(Clone, Copy)]
    enum Answer {
        Refuse,
        Short,
        Key(u8),
    }

    /// The answer of a test service for each key name (a key not named is refused).
    type Script = Vec<(&'static str, Answer)>;

    /// A key service of one kind that answers as told and records what it was asked.
    struct Scripted {
        kind: KeyServiceKind,
        label: &'static str,
        answers: Script,
        asked: Arc<Mutex<Vec<String>>>,
    }

    fn name_of(key: &EncryptedDataKey) -> &str {
        match key {
            EncryptedDataKey::AwsKms { arn, .. } => arn.rsplit('/').next().unwrap_or(arn),
            EncryptedDataKey::VaultTransit { key_name, .. } => key_name,
        }
    }

    impl KeyService for Scripted {
        fn kind(&self) -> KeyServiceKind {
            self.kind
        }

        fn open<'a>(
            &'a self,
            key: &'a EncryptedDataKey,
        ) -> BoxFuture<'a, Result<zeroize::Zeroizing<Vec<u8>>, ProviderError>> {
            let name = name_of(key).to_owned();
            (self.asked.lock().unwrap()).push(format!("{}:{name}", self.label));
            let answer = (self.answers.iter())
                .find(|(n, _)| *n == name)
                .map_or(Answer::Refuse, |(_, a)| *a);
            Box::pin(async move {
                match answer {
                    Answer::Refuse => Err(ProviderError::new(
                        ProviderErrorKind::Denied,
                        format!("{} refuses {name}", self.label),
                    )),
                    Answer::Short => Ok(zeroize::Zeroizing::new(vec![7; 16])),
                    Answer::Key(byte) => Ok(zeroize::Zeroizing::new(vec![byte; 32])),
                }
            })
        }
    }

    /// A file encrypted to two transit keys (`v1`, `v2`) and two KMS keys (`k1`, `k2`), in
    /// that order in its metadata, and to no age recipient.
    fn parsed() -> Parsed {
        parsed_with_age(&[])
    }

    /// The same, also encrypted to these age recipients (with stanzas no identity opens).
    fn parsed_with_age(recipients: &[&str]) -> Parsed {
        let age: Vec<Value> = (recipients.iter())
            .map(|r| serde_json::json!({ "recipient": r, "enc": "not an age file" }))
            .collect();
        let transit = |name: &str| {
            serde_json::json!({
                "vault_address": "http://vault:8200", "engine_path": "transit",
                "key_name": name, "enc": format!("vault:v1:CIPHER-{name}"),
            })
        };
        let kms = |name: &str| {
            serde_json::json!({
                "arn": format!("arn:aws:kms:eu-west-1:111122223333:key/{name}"),
                "enc": format!("CIPHER-{name}"), "role": "", "context": {},
            })
        };
        Parsed::document(
            serde_json::json!({
                "token": "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",
                "sops": {
                    "hc_vault": [transit("v1"), transit("v2")],
                    "kms": [kms("k1"), kms("k2")],
                    "age": age,
                    "mac": "ENC[..]",
                },
            }),
            Vec::new(),
        )
        .unwrap()
    }

    struct Services {
        asked: Arc<Mutex<Vec<String>>>,
        list: Vec<Arc<dyn KeyService>>,
    }

    fn services(scripts: Vec<(KeyServiceKind, &'static str, Script)>) -> Services {
        let asked = Arc::default();
        let list = (scripts.into_iter())
            .map(|(kind, label, answers)| {
                Arc::new(Scripted {
                    kind,
                    label,
                    answers,
                    asked: Arc::clone(&asked),
                }) as Arc<dyn KeyService>
            })
            .collect();
        Services { asked, list }
    }

    fn plan(parsed: &Parsed, services: &Services) -> Result<Steps, SopsError> {
        plan_in(&[], parsed, services)
    }

    /// The plan under the decryption order `order` (sops' default when empty), with an age
    /// key file that does not exist.
    fn plan_in(order: &[&str], parsed: &Parsed, services: &Services) -> Result<Steps, SopsError> {
        let keys = AgeKeys::file("/nonexistent/keys.txt");
        let order = DecryptionOrder::new(order.iter().copied());
        match parsed.key_plan(&keys, &order, &services.list, 1 << 20)? {
            KeyPlan::Services(steps) => Ok(steps),
            KeyPlan::Ready(_) => panic!("no age recipient to open"),
        }
    }

    /// The keys a plan still has to try: `age`, or the short name of a key.
    fn names(steps: &Steps) -> Vec<&str> {
        (steps.rest.iter())
            .map(|step| match step {
                Step::Age => "age",
                Step::Service(candidate) => name_of(&candidate.key),
            })
            .collect()
    }

    fn open(parsed: &Parsed, steps: &Steps) -> Result<cipher::DataKey, SopsError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(parsed.open_by_services(steps))
    }

    #[test]
    fn kms_keys_come_before_transit_keys_each_in_file_order_each_with_every_service_of_its_kind() {
        let parsed = parsed();
        let services = services(vec![
            (KeyServiceKind::VaultTransit, "vault", vec![]),
            (KeyServiceKind::AwsKms, "kms-a", vec![]),
            (KeyServiceKind::AwsKms, "kms-b", vec![]),
        ]);
        let order: Vec<String> = (plan(&parsed, &services).unwrap().rest.iter())
            .map(|step| match step {
                Step::Service(c) => format!("{}:{}", key_name(&c.key), name_of(&c.key)),
                Step::Age => "age".to_owned(),
            })
            .collect();
        let arn = |n| format!("AWS KMS key arn:aws:kms:eu-west-1:111122223333:key/{n}:{n}");
        let transit = |n| format!("transit key http://vault:8200/v1/transit/keys/{n}:{n}");
        assert_eq!(
            order,
            [
                arn("k1"),
                arn("k1"),
                arn("k2"),
                arn("k2"),
                transit("v1"),
                transit("v2")
            ]
        );

        // Only the kinds a service is registered for; none at all is the age failure.
        let transit_only = self::services(vec![(KeyServiceKind::VaultTransit, "vault", vec![])]);
        let steps = plan(&parsed, &transit_only).unwrap();
        assert_eq!(names(&steps), ["v1", "v2"]);
        let none = self::services(vec![]);
        let error = plan(&parsed, &none).err().unwrap().to_string();
        assert!(
            error.contains("register one with `.key_service(..)`"),
            "{error}"
        );
    }

    #[test]
    fn a_failure_or_a_wrong_length_answer_moves_on_and_the_first_key_ends_the_search() {
        let parsed = parsed();
        let services = services(vec![
            (
                KeyServiceKind::VaultTransit,
                "vault",
                vec![("v1", Answer::Key(3)), ("v2", Answer::Key(4))],
            ),
            (
                KeyServiceKind::AwsKms,
                "kms",
                vec![("k1", Answer::Refuse), ("k2", Answer::Short)],
            ),
        ]);
        let steps = plan(&parsed, &services).unwrap();
        let key = open(&parsed, &steps).unwrap();
        assert_eq!(*key, [3; 32]);
        assert_eq!(
            *services.asked.lock().unwrap(),
            ["kms:k1", "kms:k2", "vault:v1"],
            "one at a time, in order, and no further than the first that opens it"
        );
    }

    #[test]
    fn when_every_service_fails_the_error_lists_each_key_and_reason_in_order() {
        let parsed = parsed();
        let services = services(vec![
            (
                KeyServiceKind::VaultTransit,
                "vault",
                vec![("v2", Answer::Short)],
            ),
            (KeyServiceKind::AwsKms, "kms", vec![("k2", Answer::Short)]),
        ]);
        let steps = plan(&parsed, &services).unwrap();
        let error = open(&parsed, &steps).err().unwrap().to_string();
        let arn = "arn:aws:kms:eu-west-1:111122223333:key";
        let expected = format!(
            "cannot decrypt this SOPS file: no key service could open the data key (4 tried): \
             (1) AWS KMS key {arn}/k1: kms refuses k1; \
             (2) AWS KMS key {arn}/k2: it answered with no 32-byte key; \
             (3) transit key http://vault:8200/v1/transit/keys/v1: vault refuses v1; \
             (4) transit key http://vault:8200/v1/transit/keys/v2: it answered with no 32-byte key \
             (encrypted to "
        );
        assert!(error.starts_with(&expected), "{error}");
        assert!(
            !error.contains("CIPHER"),
            "no encrypted data key is shown: {error}"
        );
        assert_eq!(services.asked.lock().unwrap().len(), 4);

        // One candidate: one attempt, named.
        let one = self::services(vec![(KeyServiceKind::AwsKms, "kms", vec![])]);
        let mut steps = plan(&parsed, &one).unwrap();
        steps.rest.truncate(1);
        let error = open(&parsed, &steps).err().unwrap().to_string();
        assert!(
            error.contains(&format!(
                "the key service could not open the data key: AWS KMS key {arn}/k1: kms refuses k1 ("
            )),
            "{error}"
        );
    }

    #[test]
    fn the_decryption_order_puts_the_kinds_it_names_first_and_the_rest_in_sops_order() {
        let parsed = parsed_with_age(&["age1one"]);
        let services = services(vec![
            (KeyServiceKind::VaultTransit, "vault", vec![]),
            (KeyServiceKind::AwsKms, "kms", vec![]),
        ]);
        let in_order = |order: &[&str]| {
            let steps = plan_in(order, &parsed, &services).unwrap();
            let tried_first = steps
                .failed
                .iter()
                .map(|a| a.key.clone())
                .collect::<Vec<_>>();
            (tried_first, names(&steps).join(" "))
        };
        // By default age is tried at once (here it fails), then KMS, then transit.
        assert_eq!(
            in_order(&[]),
            (
                vec!["age recipient age1one".to_owned()],
                "k1 k2 v1 v2".to_owned()
            )
        );
        assert_eq!(
            in_order(&["hc_vault"]),
            (vec![], "v1 v2 k1 k2 age".to_owned())
        );
        assert_eq!(
            in_order(&["hc_vault", "age", "kms"]),
            (vec![], "v1 v2 age k1 k2".to_owned())
        );
        assert_eq!(in_order(&["kms"]), (vec![], "k1 k2 v1 v2 age".to_owned()));
        // Kinds this reader cannot use are skipped wherever they are named.
        assert_eq!(
            in_order(&["pgp", "gcp_kms", "hc_vault"]),
            (vec![], "v1 v2 k1 k2 age".to_owned())
        );

        let twice = plan_in(&["age", "kms", "age"], &parsed, &services)
            .err()
            .unwrap()
            .to_string();
        assert!(
            twice.starts_with(
                "cannot decrypt this SOPS file: \
                 the decryption order given to the loader names `age` twice (encrypted to age1one"
            ),
            "{twice}"
        );
    }

    #[test]
    fn an_age_step_after_a_service_is_tried_in_its_place_and_its_failure_listed_there() {
        let parsed = parsed_with_age(&["age1one", "age1two"]);
        let services = services(vec![
            (KeyServiceKind::VaultTransit, "vault", vec![]),
            (KeyServiceKind::AwsKms, "kms", vec![("k2", Answer::Key(5))]),
        ]);
        let steps = plan_in(&["hc_vault", "age"], &parsed, &services).unwrap();
        let key = open(&parsed, &steps).unwrap();
        assert_eq!(*key, [5; 32]);
        assert_eq!(
            *services.asked.lock().unwrap(),
            ["vault:v1", "vault:v2", "kms:k1", "kms:k2"]
        );

        let refusing = self::services(vec![
            (KeyServiceKind::VaultTransit, "vault", vec![]),
            (KeyServiceKind::AwsKms, "kms", vec![]),
        ]);
        let steps = plan_in(&["hc_vault", "age"], &parsed, &refusing).unwrap();
        let error = open(&parsed, &steps).err().unwrap().to_string();
        let arn = "arn:aws:kms:eu-west-1:111122223333:key";
        let expected = format!(
            "cannot decrypt this SOPS file: neither age nor any key service could open the data \
             key (5 tried): \
             (1) transit key http://vault:8200/v1/transit/keys/v1: vault refuses v1; \
             (2) transit key http://vault:8200/v1/transit/keys/v2: vault refuses v2; \
             (3) age recipients age1one, age1two: key file /nonexistent/keys.txt: file not found; \
             (4) AWS KMS key {arn}/k1: kms refuses k1; \
             (5) AWS KMS key {arn}/k2: kms refuses k2 (encrypted to age1one, age1two, "
        );
        assert!(error.starts_with(&expected), "{error}");
    }

    #[test]
    fn age_attempts_are_one_per_run_of_recipients_that_failed_alike() {
        let no_fit = |count| Failure::NoFit {
            count,
            silent: None,
        };
        let attempts = Attempt::by_age(vec![
            ("age1a".to_owned(), no_fit(1)),
            ("age1b".to_owned(), Failure::BrokenDataKey),
            ("age1c".to_owned(), no_fit(2)),
            ("age1d\u{1b}[2J".to_owned(), no_fit(2)),
        ]);
        let shown: Vec<String> = (attempts.iter())
            .map(|a| format!("{}: {}", a.key, a.reason))
            .collect();
        assert_eq!(
            shown,
            [
                "age recipient age1a: the age identity does not fit",
                "age recipient age1b: its encrypted data key is damaged",
                "age recipients age1c, age1d\\u{1b}[2J: none of the 2 age identities fits",
            ]
        );
    }

    #[test]
    fn a_key_is_named_with_its_role_and_without_control_characters() {
        let key = EncryptedDataKey::AwsKms {
            arn: "arn:aws:kms:us-east-1:1:key/a\u{1b}[31m".to_owned(),
            ciphertext: "CIPHER".to_owned(),
            context: Vec::new(),
            role: Some("arn:aws:iam::1:role/reader".to_owned()),
        };
        let name = key_name(&key);
        assert!(
            !name.contains('\u{1b}') && !name.contains("CIPHER"),
            "{name}"
        );
        assert!(
            name.ends_with("(through role arn:aws:iam::1:role/reader)"),
            "{name}"
        );
    }
}
