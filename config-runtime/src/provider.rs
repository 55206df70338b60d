//! Secret providers: the seam between the loader and secret stores (Vault, AWS, etcd, …).
//!
//! A provider answers references of one scheme — `${vault:secret/app#password}` — with a
//! [`SecretData`]: one text, or a map of fields that `#key` picks from. The loader collects
//! every provider reference of a config, fetches each distinct secret once, concurrently with
//! a bound, and only then resolves values; see `Loader::load_async`.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::secret::Secret;
use crate::source::Version;

/// A boxed, sendable future: what provider methods return, so providers can be stored as
/// `dyn SecretProvider`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A secret store that answers `${<scheme>:<path>}` references.
///
/// Implementations must never put a secret value in a [`ProviderError`] or a log line.
pub trait SecretProvider: Send + Sync + 'static {
    /// The scheme this provider answers, e.g. `"vault"`.
    fn scheme(&self) -> &str;

    /// Fetches the secret at `path` (the reference without `#key`).
    fn fetch<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<SecretData, ProviderError>>;

    /// What a load does when this provider is unreachable (after its own fallbacks, such as a
    /// last-known-good store, have failed too).
    fn outage_policy(&self) -> OutagePolicy {
        OutagePolicy::Required
    }

    /// The store's current version of `path`, read cheaply (metadata only), so a watcher can
    /// poll for changes and re-fetch only what changed (the same [`Version`] sources report).
    /// `Ok(None)`: this store cannot tell.
    fn current_version<'a>(
        &'a self,
        path: &'a str,
    ) -> BoxFuture<'a, Result<Option<Version>, ProviderError>> {
        let _ = path;
        Box::pin(async { Ok(None) })
    }

    /// Forgets any cached value of `path`, so the next fetch asks the store.
    fn invalidate(&self, path: &str) {
        let _ = path;
    }

    /// How the provider has fared so far (cache, breaker, fallbacks), for health reports;
    /// `None` when it keeps no such counts.
    fn status(&self) -> Option<ProviderStatus> {
        None
    }

    /// Called before a load fetches `paths` (two or more) one by one: a provider whose store
    /// has a batch call reads them there and keeps the answers for those fetches, so a
    /// start-up makes a few requests instead of one per secret. Nothing by default; a path
    /// it cannot answer is simply fetched on its own, so a failure here costs nothing.
    fn prefetch<'a>(&'a self, paths: &'a [String]) -> BoxFuture<'a, ()> {
        let _ = paths;
        Box::pin(async {})
    }
}

/// How a provider has fared since it was built: what a health report shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderStatus {
    /// The scheme it answers.
    pub scheme: String,
    /// Reads answered from its cache.
    pub cache_hits: u64,
    /// Reads that needed the store.
    pub cache_misses: u64,
    /// Requests sent to the store.
    pub calls: u64,
    /// Requests that failed.
    pub errors: u64,
    /// Reads answered with an expired cached value because the store failed.
    pub stale_served: u64,
    /// Reads answered from the last-known-good store because the store was unreachable.
    pub last_known_good_served: u64,
    /// How often the circuit breaker opened.
    pub breaker_opens: u64,
    /// The circuit breaker now.
    pub breaker: Breaker,
}

impl ProviderStatus {
    /// A status with every count at zero and the breaker closed; set the fields from there.
    pub fn new(scheme: impl Into<String>) -> Self {
        ProviderStatus {
            scheme: scheme.into(),
            cache_hits: 0,
            cache_misses: 0,
            calls: 0,
            errors: 0,
            stale_served: 0,
            last_known_good_served: 0,
            breaker_opens: 0,
            breaker: Breaker::Closed,
        }
    }
}

/// The state of a provider's circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Breaker {
    /// Calls go to the store.
    Closed,
    /// Calls fail fast until a cool-down ends.
    Open,
    /// One trial call may go through.
    HalfOpen,
}

impl Breaker {
    /// `closed`, `open` or `half-open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Breaker::Closed => "closed",
            Breaker::Open => "open",
            Breaker::HalfOpen => "half-open",
        }
    }
}

/// What a load does when a provider cannot be reached. Never a silent default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OutagePolicy {
    /// The load fails, naming each unresolved reference.
    #[default]
    Required,
    /// The values that reference the provider are left unset (an `Option` field becomes
    /// `None`, a field with a default takes it, a required field is reported missing), and
    /// the load reports a warning for each.
    Optional,
}

/// What a provider returns for one path.
#[derive(Clone)]
pub struct SecretData {
    /// The secret: one text, or named fields.
    pub payload: Payload,
    /// The store's version of the secret (Vault version, AWS version id), when it has one.
    pub version: Option<Version>,
    /// A warning the load should report with this value (e.g. "served from the
    /// last-known-good store, 12 min old"); never contains the value.
    pub warning: Option<String>,
    /// Which of a store's regions or replicas answered (`us-west-2`), for audit records;
    /// `None` for a store with one place.
    pub answered_by: Option<String>,
}

impl fmt::Debug for SecretData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretData")
            .field("payload", &self.payload)
            .field("version", &self.version)
            .field("warning", &self.warning)
            .field("answered_by", &self.answered_by)
            .finish()
    }
}

/// The value of a secret.
#[derive(Clone)]
pub enum Payload {
    /// A single text (an SSM parameter, a plain Secrets Manager string).
    Text(Secret<String>),
    /// Named fields (a Vault KV secret, a JSON Secrets Manager secret).
    Fields(BTreeMap<String, Secret<String>>),
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payload::Text(_) => f.write_str("Text([REDACTED])"),
            Payload::Fields(fields) => {
                f.debug_set().entries(fields.keys()).finish()?;
                f.write_str(" = [REDACTED]")
            }
        }
    }
}

impl SecretData {
    /// A single-text secret.
    pub fn text(value: impl Into<String>) -> Self {
        SecretData {
            payload: Payload::Text(Secret::new(value.into())),
            version: None,
            warning: None,
            answered_by: None,
        }
    }

    /// A secret of named fields.
    pub fn fields<K: Into<String>, V: Into<String>>(
        fields: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        SecretData {
            payload: Payload::Fields(
                fields
                    .into_iter()
                    .map(|(k, v)| (k.into(), Secret::new(v.into())))
                    .collect(),
            ),
            version: None,
            warning: None,
            answered_by: None,
        }
    }

    /// Sets the version.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(Version::new(version));
        self
    }

    /// Names the region or replica that answered.
    pub fn with_answered_by(mut self, place: impl Into<String>) -> Self {
        self.answered_by = Some(place.into());
        self
    }

    /// Attaches a warning for the load to report.
    pub fn with_warning(mut self, warning: impl Into<String>) -> Self {
        self.warning = Some(warning.into());
        self
    }

    /// The text a reference selects: the whole text, or field `key`. A text secret that holds
    /// a JSON object also answers `#key`.
    pub fn select(&self, key: Option<&str>) -> Result<String, String> {
        match (&self.payload, key) {
            (Payload::Text(text), None) => Ok(text.expose_secret().clone()),
            (Payload::Text(text), Some(key)) => {
                let object: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(text.expose_secret()).map_err(|_| {
                        format!("`#{key}` needs a JSON object, and the secret is not one")
                    })?;
                match object.get(key) {
                    Some(serde_json::Value::String(s)) => Ok(s.clone()),
                    Some(serde_json::Value::Null) | None => Err(no_field(key, object.keys())),
                    Some(other) => Ok(other.to_string()),
                }
            }
            (Payload::Fields(fields), Some(key)) => fields
                .get(key)
                .map(|v| v.expose_secret().clone())
                .ok_or_else(|| no_field(key, fields.keys())),
            (Payload::Fields(fields), None) if fields.len() == 1 => Ok(fields
                .values()
                .next()
                .map(|v| v.expose_secret().clone())
                .unwrap_or_default()),
            (Payload::Fields(fields), None) => Err(format!(
                "the secret has fields {}; pick one with `#field`",
                join_names(fields.keys())
            )),
        }
    }
}

fn join_names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.map(String::as_str).collect::<Vec<_>>().join(", ")
}

fn no_field<'a>(key: &str, names: impl Iterator<Item = &'a String>) -> String {
    format!(
        "the secret has no field `{key}` (fields: {})",
        join_names(names)
    )
}

/// Why a provider could not answer. Its message names paths and statuses, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    /// What kind of failure it is.
    pub kind: ProviderErrorKind,
    /// A description for people (no secret values).
    pub message: String,
}

/// Kinds of provider failures; retries apply to [`ProviderErrorKind::Unavailable`] only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderErrorKind {
    /// The path does not exist (HTTP 404).
    NotFound,
    /// The credentials are not allowed to read it (HTTP 401/403).
    Denied,
    /// The store could not be reached or failed (timeouts, 5xx): may work on retry.
    Unavailable,
    /// The request or the answer was malformed.
    Invalid,
}

impl ProviderError {
    /// A new error.
    pub fn new(kind: ProviderErrorKind, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            message: message.into(),
        }
    }

    /// Whether retrying may help.
    pub fn is_transient(&self) -> bool {
        self.kind == ProviderErrorKind::Unavailable
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProviderError {}

/// A secret store that takes writes: where `migrate` moves plaintext secrets to. A store that
/// implements it also answers references of the same [`scheme`](Self::scheme), so what it
/// wrote reads back through `${<scheme>:<path>#<field>}`.
pub trait SecretWriter: Send + Sync + 'static {
    /// The scheme of the references that read what it writes (`vault`).
    fn scheme(&self) -> &str;

    /// Sets `fields` of the secret at `path` (`secret/app`), keeping the fields it already
    /// has; creates the secret when there is none.
    fn write_fields<'a>(
        &'a self,
        path: &'a str,
        fields: &'a [(String, crate::Secret<String>)],
    ) -> BoxFuture<'a, Result<(), ProviderError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_picks_fields_and_json_keys() {
        let kv = SecretData::fields([("user", "app"), ("password", "pw")]);
        assert_eq!(kv.select(Some("password")).unwrap(), "pw");
        assert!(kv.select(None).unwrap_err().contains("user"));
        assert!(
            kv.select(Some("nope"))
                .unwrap_err()
                .contains("no field `nope`")
        );
        let json = SecretData::text(r#"{"password":"pw","port":5432}"#);
        assert_eq!(json.select(Some("password")).unwrap(), "pw");
        assert_eq!(json.select(Some("port")).unwrap(), "5432");
        let plain = SecretData::text("value");
        assert_eq!(plain.select(None).unwrap(), "value");
        let err = plain.select(Some("k")).unwrap_err();
        assert!(!err.contains("value"));
    }

    #[test]
    fn debug_never_shows_values() {
        let kv = SecretData::fields([("password", "hunter2")]).with_version("3");
        let text = format!("{kv:?}");
        assert!(!text.contains("hunter2"));
        assert!(text.contains("password") && text.contains('3'));
    }
}
