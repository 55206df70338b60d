//! The audit trail: one [`AuditRecord`] for every resolution, refresh, fallback and failure
//! of a secret, so an operator can see who read what, when, how fast and from where — and
//! confirm a rotation through the value's keyed fingerprint without ever seeing the value.
//!
//! Sinks are pluggable ([`AuditSink`]); the default emits a `tracing` event on target
//! `config_runtime::audit`, and [`JsonLinesAudit`] appends one JSON object per line to a file.

use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use config_runtime::{Payload, SecretData};

/// What happened to one secret read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditOutcome {
    /// Answered, from the cache or the store.
    Resolved,
    /// A background refresh replaced the cached value.
    Refreshed,
    /// The store failed; an older value was served (stale cache or last-known-good store).
    Fallback,
    /// No value could be given.
    Failed,
}

impl fmt::Display for AuditOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuditOutcome::Resolved => "resolved",
            AuditOutcome::Refreshed => "refreshed",
            AuditOutcome::Fallback => "fallback",
            AuditOutcome::Failed => "failed",
        })
    }
}

/// One audited secret read. Holds no value: only a keyed fingerprint of it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditRecord {
    /// When the read finished.
    pub time: SystemTime,
    /// The provider's scheme (`vault`, `aws-sm`, …).
    pub provider: String,
    /// The secret's path (the reference without `#key`).
    pub reference: String,
    /// What happened.
    pub outcome: AuditOutcome,
    /// How long the read took.
    pub latency: Duration,
    /// Whether memory answered.
    pub cache_hit: bool,
    /// Keyed BLAKE3 fingerprint of the value (16 hex digits); `None` when there is no value.
    pub fingerprint: Option<String>,
    /// The store's version, when known.
    pub version: Option<String>,
    /// Why it failed or fell back (never a value).
    pub detail: Option<String>,
    /// The region or replica that answered, for stores with several (`us-west-2`).
    pub answered_by: Option<String>,
}

impl AuditRecord {
    /// The record as one JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "time_ms": self.time.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0),
            "provider": self.provider,
            "reference": self.reference,
            "outcome": self.outcome.to_string(),
            "latency_us": self.latency.as_micros() as u64,
            "cache_hit": self.cache_hit,
            "fingerprint": self.fingerprint,
            "version": self.version,
            "detail": self.detail,
            "answered_by": self.answered_by,
        })
    }
}

/// Where audit records go.
pub trait AuditSink: Send + Sync + 'static {
    /// Records one read. Must not block for long: it runs on the read path.
    fn record(&self, record: &AuditRecord);
}

/// The default sink: a `tracing` event on target `config_runtime::audit`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingAudit;

impl AuditSink for TracingAudit {
    fn record(&self, r: &AuditRecord) {
        tracing::info!(
            target: "config_runtime::audit",
            provider = %r.provider,
            reference = %r.reference,
            outcome = %r.outcome,
            latency_us = r.latency.as_micros() as u64,
            cache_hit = r.cache_hit,
            fingerprint = r.fingerprint.as_deref().unwrap_or("-"),
            version = r.version.as_deref().unwrap_or("-"),
            detail = r.detail.as_deref().unwrap_or(""),
            answered_by = r.answered_by.as_deref().unwrap_or("-"),
            "secret {}", r.outcome
        );
    }
}

/// Appends records as JSON lines to a file.
#[derive(Debug)]
pub struct JsonLinesAudit {
    file: Mutex<File>,
}

impl JsonLinesAudit {
    /// Opens (creating, appending) the file.
    pub fn open(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(JsonLinesAudit {
            file: Mutex::new(file),
        })
    }
}

impl AuditSink for JsonLinesAudit {
    fn record(&self, record: &AuditRecord) {
        let mut line = record.to_json().to_string();
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = file.write_all(line.as_bytes()) {
            tracing::warn!(target: "config_runtime::audit", "cannot write the audit file: {e}");
        }
    }
}

/// A keyed fingerprint of secret values: the same value gives the same fingerprint under the
/// same key, and nothing about the value can be learnt from it without the key.
#[derive(Clone)]
pub(crate) struct Fingerprinter {
    key: [u8; 32],
}

impl fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fingerprinter([REDACTED])")
    }
}

impl Fingerprinter {
    /// A fingerprinter with this key (share it across a fleet to compare fingerprints).
    pub(crate) fn with_key(key: [u8; 32]) -> Self {
        Fingerprinter { key }
    }

    /// A fingerprinter with a random key: fingerprints compare within this process only.
    pub(crate) fn random() -> Self {
        let mut key = [0u8; 32];
        use chacha20poly1305::aead::rand_core::RngCore;
        chacha20poly1305::aead::OsRng.fill_bytes(&mut key);
        Fingerprinter { key }
    }

    /// 16 hex digits of keyed BLAKE3 over the value's canonical form.
    pub(crate) fn fingerprint(&self, data: &SecretData) -> String {
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        match &data.payload {
            Payload::Text(text) => {
                hasher.update(b"t\0");
                hasher.update(text.expose_secret().as_bytes());
            }
            Payload::Fields(fields) => {
                hasher.update(b"f\0");
                for (name, value) in fields {
                    hasher.update(name.as_bytes());
                    hasher.update(b"\0");
                    hasher.update(value.expose_secret().as_bytes());
                    hasher.update(b"\0");
                }
            }
        }
        hasher.finalize().to_hex()[..16].to_owned()
    }
}

/// The audit settings of one provider: its name, the sink, the fingerprint key.
#[derive(Clone)]
pub(crate) struct AuditTrail {
    provider: String,
    sink: Arc<dyn AuditSink>,
    fingerprinter: Fingerprinter,
}

impl fmt::Debug for AuditTrail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditTrail")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl AuditTrail {
    /// Records for `provider` go to `sink`, fingerprinted with `fingerprinter`.
    pub(crate) fn new(
        provider: impl Into<String>,
        sink: Arc<dyn AuditSink>,
        fingerprinter: Fingerprinter,
    ) -> Self {
        AuditTrail {
            provider: provider.into(),
            sink,
            fingerprinter,
        }
    }

    /// The default: tracing events, a random fingerprint key.
    #[cfg(test)]
    pub(crate) fn tracing(provider: impl Into<String>) -> Self {
        AuditTrail::new(provider, Arc::new(TracingAudit), Fingerprinter::random())
    }

    pub(crate) fn record(
        &self,
        reference: &str,
        outcome: AuditOutcome,
        latency: Duration,
        cache_hit: bool,
        data: Option<&SecretData>,
        detail: Option<String>,
    ) {
        self.sink.record(&AuditRecord {
            time: SystemTime::now(),
            provider: self.provider.clone(),
            reference: reference.to_owned(),
            outcome,
            latency,
            cache_hit,
            fingerprint: data.map(|d| self.fingerprinter.fingerprint(d)),
            version: data.and_then(|d| Some(d.version.as_ref()?.as_str().to_owned())),
            detail,
            answered_by: data.and_then(|d| d.answered_by.clone()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_keyed_and_stable() {
        let a = Fingerprinter::with_key([1; 32]);
        let b = Fingerprinter::with_key([2; 32]);
        let value = SecretData::fields([("password", "hunter2")]);
        assert_eq!(a.fingerprint(&value), a.fingerprint(&value.clone()));
        assert_ne!(a.fingerprint(&value), b.fingerprint(&value));
        assert_ne!(
            a.fingerprint(&value),
            a.fingerprint(&SecretData::fields([("password", "hunter3")]))
        );
        assert_eq!(a.fingerprint(&value).len(), 16);
    }

    #[test]
    fn json_lines_hold_no_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let trail = AuditTrail::new(
            "vault",
            Arc::new(JsonLinesAudit::open(&path).unwrap()),
            Fingerprinter::random(),
        );
        let value = SecretData::fields([("password", "canary-audit-991")]).with_version("7");
        trail.record(
            "secret/app",
            AuditOutcome::Resolved,
            Duration::from_millis(3),
            false,
            Some(&value),
            None,
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("canary-audit-991"));
        let record: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(record["outcome"], "resolved");
        assert_eq!(record["version"], "7");
        assert_eq!(record["fingerprint"].as_str().unwrap().len(), 16);
    }
}
