//! Runtime overrides of a [`Live`](super::Live) config: values set while the program runs
//! (by an operator, through `config_runtime::http` or [`Live::set_override`](super::Live::set_override)),
//! merged over every other source, kept across reloads until cleared, and each change
//! audited by fingerprint.
//!
//! An override goes through the same steps as a reload (merge, resolve, assemble, every rule)
//! before it is swapped in: an invalid one changes nothing. A `restart` field cannot be
//! overridden (the running process would not use the value). Override values are data: a
//! `${..}` in one stays text, so an override cannot make the process read its files,
//! environment or secret stores.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::SystemTime;

use crate::error::ConfigError;
use crate::fingerprint::Fingerprint;
use crate::source::{GatherContext, Gathering, Source, Trust};

/// How many audit records a [`Live`](super::Live) keeps (the oldest go first); every record is
/// also logged through `tracing` (target `config_runtime::audit`) for a lasting trail.
pub(crate) const AUDIT_CAPACITY: usize = 1024;

/// What an override request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OverrideChange {
    /// A value was set.
    Set,
    /// The override was removed: the key's value comes from the sources again.
    Cleared,
}

impl OverrideChange {
    /// `set` or `cleared`.
    pub fn as_str(self) -> &'static str {
        match self {
            OverrideChange::Set => "set",
            OverrideChange::Cleared => "cleared",
        }
    }
}

/// One applied override change. Holds fingerprints (keyed with a key of this process), never
/// a value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OverrideRecord {
    /// Who asked, as the caller named them.
    pub actor: String,
    /// The key path.
    pub key: String,
    /// Set or cleared.
    pub change: OverrideChange,
    /// Fingerprint of the value before; `None` when the key was unset.
    pub old: Option<Fingerprint>,
    /// Fingerprint of the value after; `None` when the key is now unset.
    pub new: Option<Fingerprint>,
    /// The config version the change produced (the same version when the value did not move).
    pub version: u64,
    /// When it was applied.
    pub at: SystemTime,
}

/// Why an override was not applied. The current snapshot is unchanged in every case.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum OverrideError {
    /// No leaf has this key path.
    UnknownKey {
        /// The key asked for.
        key: String,
        /// A key path it is likely a typo of.
        suggestion: Option<String>,
    },
    /// The field is read once at start (`restart`): an override would not take effect.
    Restart {
        /// The key asked for.
        key: String,
    },
    /// Clearing a key that has no override.
    NotOverridden {
        /// The key asked for.
        key: String,
    },
    /// With the override, the configuration does not validate.
    Invalid(ConfigError),
    /// The watch task has stopped.
    Stopped,
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverrideError::UnknownKey { key, suggestion } => {
                write!(f, "no key `{key}`")?;
                match suggestion {
                    Some(close) => write!(f, "; did you mean `{close}`?"),
                    None => Ok(()),
                }
            }
            OverrideError::Restart { key } => write!(
                f,
                "`{key}` is read once at start (restart): an override would not take effect"
            ),
            OverrideError::NotOverridden { key } => write!(f, "`{key}` has no override"),
            OverrideError::Invalid(error) => write!(f, "the override is not valid: {error}"),
            OverrideError::Stopped => f.write_str("the configuration watch task has stopped"),
        }
    }
}

impl std::error::Error for OverrideError {}

/// The overrides in force, by key path: the last layer of every build.
#[derive(Clone, Default)]
pub(crate) struct Layer {
    values: BTreeMap<String, String>,
}

impl Layer {
    pub(crate) fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// Sets or clears `key`; returns what it held, to put back when the change is refused.
    pub(crate) fn change(&mut self, key: &str, value: Option<String>) -> Option<String> {
        match value {
            Some(value) => self.values.insert(key.to_owned(), value),
            None => self.values.remove(key),
        }
    }

    /// The keys overridden, in order.
    pub(crate) fn keys(&self) -> Vec<String> {
        self.values.keys().cloned().collect()
    }
}

impl Source for Layer {
    fn name(&self) -> String {
        "runtime override".to_owned()
    }

    /// Data: `${..}` in an override stays text.
    fn trust(&self) -> Trust {
        Trust::RemoteData
    }

    fn gather(&self, _: &GatherContext) -> Gathering<'_> {
        crate::source::vars::overrides(self.values.iter())
    }
}

impl fmt::Debug for Layer {
    /// Keys only: an override may be a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Layer").field(&self.keys()).finish()
    }
}

/// The latest audit records, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Audit {
    records: VecDeque<OverrideRecord>,
}

impl Audit {
    /// Keeps `record` (dropping the oldest beyond [`AUDIT_CAPACITY`]) and logs it.
    pub(crate) fn push(&mut self, record: OverrideRecord) {
        let shown =
            |print: Option<Fingerprint>| print.map_or("unset".to_owned(), |p| p.to_string());
        tracing::info!(
            target: "config_runtime::audit",
            actor = %record.actor,
            key = %record.key,
            change = record.change.as_str(),
            old = %shown(record.old),
            new = %shown(record.new),
            version = record.version,
            "configuration override"
        );
        if self.records.len() == AUDIT_CAPACITY {
            self.records.pop_front();
        }
        self.records.push_back(record);
    }

    pub(crate) fn records(&self) -> Vec<OverrideRecord> {
        self.records.iter().cloned().collect()
    }
}
