//! What every provider puts between the application and its store, configured in one place:
//! the cache policy, the audit sink and fingerprint key, the last-known-good store, and the
//! outage policy.

use std::sync::Arc;

use config_runtime::OutagePolicy;

use crate::audit::{AuditSink, AuditTrail, Fingerprinter, TracingAudit};
use crate::cache::{CachePolicy, SecretCache};
use crate::lkg::LastKnownGood;

/// Cache, audit, fallback and outage settings of a provider. The defaults: a 5-minute cache,
/// `tracing` audit events with a random fingerprint key, no last-known-good store, and
/// loads that fail when the store is unreachable.
#[derive(Clone, Default)]
#[must_use]
pub struct Safeguards {
    pub(crate) cache: CachePolicy,
    pub(crate) audit: Option<Arc<dyn AuditSink>>,
    pub(crate) fingerprints: Option<Fingerprinter>,
    pub(crate) last_known_good: Option<Arc<LastKnownGood>>,
    pub(crate) outage: OutagePolicy,
}

impl std::fmt::Debug for Safeguards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Safeguards")
            .field("cache", &self.cache)
            .field("last_known_good", &self.last_known_good)
            .field("outage", &self.outage)
            .finish_non_exhaustive()
    }
}

impl Safeguards {
    /// How long secrets are cached and refreshed.
    pub fn cache(mut self, policy: CachePolicy) -> Self {
        self.cache = policy;
        self
    }

    /// Where audit records go.
    pub fn audit(mut self, sink: impl AuditSink) -> Self {
        self.audit = Some(Arc::new(sink));
        self
    }

    /// The key of audit fingerprints (share it across a fleet to compare them).
    pub fn fingerprint_key(mut self, key: [u8; 32]) -> Self {
        self.fingerprints = Some(Fingerprinter::with_key(key));
        self
    }

    /// Keeps resolved secrets in an encrypted store, used when the store is unreachable.
    pub fn last_known_good(mut self, store: LastKnownGood) -> Self {
        self.last_known_good = Some(Arc::new(store));
        self
    }

    /// What a load does when the store is unreachable and no fallback answers.
    pub fn outage_policy(mut self, policy: OutagePolicy) -> Self {
        self.outage = policy;
        self
    }

    /// Refuses settings the cache cannot use (see [`CachePolicy::validate`]); every secret
    /// store's builder calls it (Unleash's flag source has no cache).
    #[cfg(any(
        feature = "vault",
        feature = "etcd",
        feature = "aws",
        feature = "gcp",
        feature = "azure"
    ))]
    pub(crate) fn check(&self) -> Result<(), config_runtime::ProviderError> {
        self.cache.validate()
    }

    /// The cache of a provider answering `scheme`.
    pub(crate) fn into_cache(self, scheme: &str) -> Arc<SecretCache> {
        let audit = AuditTrail::new(
            scheme,
            self.audit.unwrap_or_else(|| Arc::new(TracingAudit)),
            self.fingerprints.unwrap_or_else(Fingerprinter::random),
        );
        SecretCache::new(scheme, self.cache, audit, self.last_known_good)
    }
}
