//! The secret cache in front of every provider.
//!
//! - **TTL** per provider (default 5 minutes): within it, reads are answered from memory.
//! - **Refresh ahead**: a read in the last 20 % of the TTL is answered from memory and starts
//!   one background refresh (after a small random delay, so a fleet does not refresh in step);
//!   callers never wait for it.
//! - **Single flight**: concurrent misses of one path share one provider request.
//! - **Stale on failure**: when the store is unreachable after expiry, the old value is served
//!   (with a warning naming its age) until `max_staleness`, then the read fails.
//! - **Counters** in [`CacheStats`].
//!
//! Configure it with a [`CachePolicy`] in [`Safeguards`](crate::safeguards::Safeguards); every
//! provider reads through it (see [`CachedProvider`](crate::store::CachedProvider)).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

// tokio's clock: the same as std's, but it can be paused and advanced in tests.
use tokio::time::Instant;

use config_runtime::BoxFuture;
use config_runtime::{ProviderError, ProviderErrorKind, SecretData};
use futures_util::FutureExt;
use futures_util::future::Shared;

use crate::audit::{AuditOutcome, AuditTrail};
use crate::guard::{BreakerChange, CircuitBreaker, RateLimit};
use crate::lkg::LastKnownGood;
use crate::metrics::Event;

/// How long values are kept and refreshed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CachePolicy {
    /// How long a fetched value is fresh.
    pub ttl: Duration,
    /// The part of the TTL, at its end, in which a read triggers a background refresh:
    /// between 0 (never refresh ahead) and 1. Builders refuse other values; a cache built
    /// without one ([`CachedProvider::new`](crate::store::CachedProvider::new)) clamps them
    /// into that range and reads NaN as 0.
    pub refresh_ahead: f64,
    /// How old an expired value may be and still be served when the store is unreachable.
    pub max_staleness: Duration,
    /// Consecutive transient failures that open the circuit breaker.
    pub breaker_threshold: u32,
    /// How long an open circuit fails fast before one call is tried again.
    pub breaker_cooldown: Duration,
    /// At most this many store requests a second (`None`: unbounded). Builders refuse a
    /// rate that is not a positive finite number; a cache built without one treats it as at
    /// least one request every 1,000 s.
    pub max_requests_per_second: Option<f64>,
}

impl CachePolicy {
    /// Checks the settings a cache cannot use as given: a `refresh_ahead` outside 0..=1 (or
    /// NaN) and a request rate that is not a positive finite number.
    pub fn validate(&self) -> Result<(), ProviderError> {
        if !(0.0..=1.0).contains(&self.refresh_ahead) {
            return Err(ProviderError::new(
                ProviderErrorKind::Invalid,
                format!(
                    "the cache's refresh_ahead is a part of the TTL, between 0 and 1 (got {})",
                    self.refresh_ahead
                ),
            ));
        }
        if let Some(rate) = self.max_requests_per_second
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(ProviderError::new(
                ProviderErrorKind::Invalid,
                format!(
                    "the cache's max_requests_per_second must be a positive number (got {rate})"
                ),
            ));
        }
        Ok(())
    }

    /// The policy with `refresh_ahead` clamped into 0..=1 (NaN: 0), so that no setting can
    /// make the cache's duration arithmetic panic.
    fn clamped(mut self) -> Self {
        self.refresh_ahead = if self.refresh_ahead.is_nan() {
            0.0
        } else {
            self.refresh_ahead.clamp(0.0, 1.0)
        };
        self
    }
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy {
            ttl: Duration::from_secs(300),
            refresh_ahead: 0.2,
            max_staleness: Duration::from_secs(3600),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            max_requests_per_second: None,
        }
    }
}

/// What the cache did, since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Reads answered from memory.
    pub hits: u64,
    /// Reads that needed the provider (shared requests count once per reader).
    pub misses: u64,
    /// Requests actually sent to the provider (misses after single-flight, plus refreshes).
    pub provider_calls: u64,
    /// Provider requests that failed.
    pub errors: u64,
    /// Background refreshes that succeeded.
    pub refreshes: u64,
    /// Reads answered with an expired value because the provider failed (from memory or
    /// from the last-known-good store).
    pub stale_served: u64,
    /// Of those, the reads answered from the last-known-good store.
    pub last_known_good_served: u64,
    /// How often the circuit breaker opened.
    pub breaker_opens: u64,
    /// Values that arrived through a batch read, before any reader asked for them.
    pub prefilled: u64,
}

impl CacheStats {
    /// Counts `event` here and tells the `metrics` facade.
    fn count(&mut self, scheme: &str, event: Event) {
        let counter = match event {
            Event::Hit => &mut self.hits,
            Event::Miss => &mut self.misses,
            Event::Call => &mut self.provider_calls,
            Event::Error => &mut self.errors,
            Event::Refresh => &mut self.refreshes,
            Event::Stale => &mut self.stale_served,
            Event::LastKnownGood => &mut self.last_known_good_served,
            Event::BreakerOpened => &mut self.breaker_opens,
        };
        *counter += 1;
        crate::metrics::emit(scheme, event);
    }
}

/// Fetches one path from the store, for the cache.
pub(crate) type Fetch =
    Arc<dyn Fn(String) -> BoxFuture<'static, Result<SecretData, ProviderError>> + Send + Sync>;

type InFlight = Shared<BoxFuture<'static, Result<SecretData, ProviderError>>>;

struct Entry {
    data: SecretData,
    fetched_at: Instant,
    refreshing: bool,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    in_flight: HashMap<String, InFlight>,
    stats: CacheStats,
}

impl State {
    /// Stores a value just fetched: fresh from now.
    fn remember(&mut self, path: &str, data: SecretData) {
        let entry = Entry {
            data,
            fetched_at: Instant::now(),
            refreshing: false,
        };
        self.entries.insert(path.to_owned(), entry);
    }
}

/// A cache of secrets by path; share it between clones of a provider.
pub(crate) struct SecretCache {
    /// The provider's scheme, as the label of its metrics.
    scheme: String,
    policy: CachePolicy,
    state: Mutex<State>,
    audit: AuditTrail,
    last_known_good: Option<Arc<LastKnownGood>>,
    breaker: CircuitBreaker,
    rate: Option<RateLimit>,
}

impl std::fmt::Debug for SecretCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretCache")
            .field("policy", &self.policy)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl SecretCache {
    /// An empty cache, auditing through `audit`, falling back to `last_known_good` when the
    /// store is unreachable and memory has nothing.
    pub(crate) fn new(
        scheme: &str,
        policy: CachePolicy,
        audit: AuditTrail,
        last_known_good: Option<Arc<LastKnownGood>>,
    ) -> Arc<Self> {
        let policy = policy.clamped();
        Arc::new(SecretCache {
            scheme: scheme.to_owned(),
            policy,
            state: Mutex::new(State::default()),
            audit,
            last_known_good,
            breaker: CircuitBreaker::new(policy.breaker_threshold, policy.breaker_cooldown),
            rate: policy.max_requests_per_second.map(RateLimit::new),
        })
    }

    /// One store call, through the circuit breaker and the rate bound.
    fn guarded(
        self: &Arc<Self>,
        path: &str,
        fetch: &Fetch,
    ) -> BoxFuture<'static, Result<SecretData, ProviderError>> {
        let cache = Arc::clone(self);
        let fetch = Arc::clone(fetch);
        let path = path.to_owned();
        Box::pin(async move {
            cache.breaker.admit(&path)?;
            if let Some(rate) = &cache.rate {
                rate.wait().await;
            }
            let result = fetch(path).await;
            if cache.breaker.record(&result) == BreakerChange::Opened {
                cache
                    .lock()
                    .stats
                    .count(&cache.scheme, Event::BreakerOpened);
            }
            result
        })
    }

    /// Those of `paths` with neither a fresh value nor a request in flight.
    pub(crate) fn lacking(&self, paths: &[String]) -> Vec<String> {
        let state = self.lock();
        paths
            .iter()
            .filter(|path| {
                let fresh = state
                    .entries
                    .get(path.as_str())
                    .is_some_and(|entry| entry.fetched_at.elapsed() < self.policy.ttl);
                !fresh && !state.in_flight.contains_key(path.as_str())
            })
            .cloned()
            .collect()
    }

    /// Keeps `data`, read for `path` in a batch, as if a read had just fetched it.
    pub(crate) fn prefill(&self, path: &str, data: SecretData) {
        self.save_last_known_good(path, &data);
        let mut state = self.lock();
        state.stats.prefilled += 1;
        state.remember(path, data);
    }

    /// Forgets the value of `path`: the next read fetches it.
    pub(crate) fn invalidate(&self, path: &str) {
        self.lock().entries.remove(path);
    }

    /// The counters so far.
    pub(crate) fn stats(&self) -> CacheStats {
        self.lock().stats
    }

    /// The circuit breaker now.
    pub(crate) fn breaker(&self) -> config_runtime::Breaker {
        self.breaker.state()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value of `path`: from memory when fresh, else from `fetch` (one request however
    /// many callers wait).
    pub(crate) async fn get(
        self: &Arc<Self>,
        path: &str,
        fetch: &Fetch,
    ) -> Result<SecretData, ProviderError> {
        let started = Instant::now();
        let in_flight = {
            let mut state = self.lock();
            if let Some(entry) = state.entries.get_mut(path) {
                let age = entry.fetched_at.elapsed();
                if age < self.policy.ttl {
                    let refresh_from = self.policy.ttl.mul_f64(1.0 - self.policy.refresh_ahead);
                    let refresh = age >= refresh_from && !entry.refreshing;
                    if refresh {
                        entry.refreshing = true;
                    }
                    let data = entry.data.clone();
                    state.stats.count(&self.scheme, Event::Hit);
                    drop(state);
                    if refresh {
                        self.spawn_refresh(path.to_owned(), Arc::clone(fetch));
                    }
                    self.audit.record(
                        path,
                        AuditOutcome::Resolved,
                        started.elapsed(),
                        true,
                        Some(&data),
                        None,
                    );
                    return Ok(data);
                }
            }
            state.stats.count(&self.scheme, Event::Miss);
            match state.in_flight.get(path) {
                Some(shared) => shared.clone(),
                None => {
                    state.stats.count(&self.scheme, Event::Call);
                    let shared = self.guarded(path, fetch).shared();
                    state.in_flight.insert(path.to_owned(), shared.clone());
                    shared
                }
            }
        };
        let result = in_flight.await;
        let latency = started.elapsed();
        let mut state = self.lock();
        let leader = state.in_flight.remove(path).is_some();
        match result {
            Ok(data) => {
                state.remember(path, data.clone());
                drop(state);
                if leader {
                    self.save_last_known_good(path, &data);
                }
                self.audit.record(
                    path,
                    AuditOutcome::Resolved,
                    latency,
                    false,
                    Some(&data),
                    None,
                );
                Ok(data)
            }
            Err(error) => {
                if leader {
                    state.stats.count(&self.scheme, Event::Error);
                }
                let stale = state.entries.get(path).filter(|entry| {
                    error.is_transient() && entry.fetched_at.elapsed() < self.policy.max_staleness
                });
                if let Some(entry) = stale {
                    let age = entry.fetched_at.elapsed();
                    let data = entry.data.clone().with_warning(format!(
                        "the store failed ({error}); serving the cached value, {} s old",
                        age.as_secs()
                    ));
                    state.stats.count(&self.scheme, Event::Stale);
                    drop(state);
                    tracing::warn!(target: "config_providers::cache", path, age_secs = age.as_secs(), "serving a stale secret: {error}");
                    self.audit.record(
                        path,
                        AuditOutcome::Fallback,
                        latency,
                        true,
                        Some(&data),
                        Some(error.message.clone()),
                    );
                    return Ok(data);
                }
                drop(state);
                self.fall_back(path, error, latency)
            }
        }
    }

    /// Audits a read that gave no value.
    fn audit_failure(&self, path: &str, latency: Duration, error: &ProviderError) {
        let detail = Some(error.message.clone());
        self.audit
            .record(path, AuditOutcome::Failed, latency, false, None, detail);
    }

    /// After a failed fetch with nothing in memory: the last-known-good store, if there is
    /// one, the store is unreachable, and its value is young enough.
    fn fall_back(
        &self,
        path: &str,
        error: ProviderError,
        latency: Duration,
    ) -> Result<SecretData, ProviderError> {
        let store = match &self.last_known_good {
            Some(store) if error.is_transient() => store,
            _ => {
                self.audit_failure(path, latency, &error);
                return Err(error);
            }
        };
        match store.load(path) {
            Ok((data, age)) => {
                let warning = format!(
                    "the store is unreachable ({error}); using the last-known-good value from {}, {} s old",
                    store.path().display(),
                    age.as_secs()
                );
                tracing::warn!(target: "config_providers::cache", path, "{warning}");
                let data = data.with_warning(warning);
                let mut state = self.lock();
                state.stats.count(&self.scheme, Event::Stale);
                state.stats.count(&self.scheme, Event::LastKnownGood);
                drop(state);
                self.audit.record(
                    path,
                    AuditOutcome::Fallback,
                    latency,
                    false,
                    Some(&data),
                    Some(error.message.clone()),
                );
                Ok(data)
            }
            Err(fallback) => {
                let error =
                    ProviderError::new(error.kind, format!("{error}; no fallback: {fallback}"));
                self.audit_failure(path, latency, &error);
                Err(error)
            }
        }
    }

    fn save_last_known_good(&self, path: &str, data: &SecretData) {
        if let Some(store) = &self.last_known_good
            && let Err(e) = store.save(path, data)
        {
            tracing::warn!(target: "config_providers::cache", path, "cannot update the last-known-good store: {e}");
        }
    }

    /// Refreshes `path` in the background after a small random delay.
    fn spawn_refresh(self: &Arc<Self>, path: String, fetch: Fetch) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.finish_refresh(&path, None);
            return;
        };
        let cache = Arc::clone(self);
        let jitter = jitter(self.policy.ttl.mul_f64(self.policy.refresh_ahead / 4.0));
        runtime.spawn(async move {
            tokio::time::sleep(jitter).await;
            cache.lock().stats.count(&cache.scheme, Event::Call);
            let started = Instant::now();
            let result = cache.guarded(&path, &fetch).await;
            match &result {
                Ok(data) => {
                    cache.save_last_known_good(&path, data);
                    cache.audit.record(
                        &path,
                        AuditOutcome::Refreshed,
                        started.elapsed(),
                        false,
                        Some(data),
                        None,
                    );
                }
                Err(e) => cache.audit.record(
                    &path,
                    AuditOutcome::Failed,
                    started.elapsed(),
                    false,
                    None,
                    Some(e.message.clone()),
                ),
            }
            cache.finish_refresh(&path, Some(result));
        });
    }

    fn finish_refresh(&self, path: &str, result: Option<Result<SecretData, ProviderError>>) {
        let mut state = self.lock();
        match result {
            Some(Ok(data)) => {
                state.stats.count(&self.scheme, Event::Refresh);
                state.remember(path, data);
            }
            Some(Err(error)) => {
                state.stats.count(&self.scheme, Event::Error);
                tracing::warn!(target: "config_providers::cache", path, "background refresh failed: {error}");
                if let Some(entry) = state.entries.get_mut(path) {
                    entry.refreshing = false;
                }
            }
            None => {
                if let Some(entry) = state.entries.get_mut(path) {
                    entry.refreshing = false;
                }
            }
        }
    }
}

/// A random duration up to `max` (from the clock's low bits: good enough to spread a fleet).
fn jitter(max: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    max.mul_f64(f64::from(nanos % 1000) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A counting fetcher: the n-th call returns version n.
    fn counting() -> (Fetch, Arc<AtomicU64>) {
        let calls = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&calls);
        let fetch: Fetch = Arc::new(move |_path| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                Ok(SecretData::text(format!("v{n}")).with_version(n.to_string()))
            })
        });
        (fetch, calls)
    }

    #[tokio::test(start_paused = true)]
    async fn single_flight_then_hits() {
        let cache = SecretCache::new(
            "test",
            CachePolicy::default(),
            AuditTrail::tracing("test"),
            None,
        );
        let (fetch, calls) = counting();
        let reads = (0..20).map(|_| cache.get("db", &fetch));
        let results = futures_util::future::join_all(reads).await;
        assert!(
            results
                .iter()
                .all(|r| r.as_ref().unwrap().select(None).unwrap() == "v1")
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        cache.get("db", &fetch).await.unwrap();
        let stats = cache.stats();
        assert_eq!((stats.misses, stats.hits, stats.provider_calls), (20, 1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn refresh_ahead_replaces_the_value_in_the_background() {
        let cache = SecretCache::new(
            "test",
            CachePolicy::default(),
            AuditTrail::tracing("test"),
            None,
        );
        let (fetch, calls) = counting();
        assert_eq!(
            cache.get("db", &fetch).await.unwrap().select(None).unwrap(),
            "v1"
        );
        tokio::time::advance(Duration::from_secs(250)).await; // 83 % of the TTL
        assert_eq!(
            cache.get("db", &fetch).await.unwrap().select(None).unwrap(),
            "v1"
        );
        tokio::time::sleep(Duration::from_secs(20)).await; // jitter + fetch
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(
            cache.get("db", &fetch).await.unwrap().select(None).unwrap(),
            "v2"
        );
        assert_eq!(cache.stats().refreshes, 1);
    }

    /// A `refresh_ahead` above 1 or NaN once made `ttl * (1 - refresh_ahead)` panic on a hit.
    #[tokio::test(start_paused = true)]
    async fn out_of_range_refresh_ahead_is_clamped_not_a_panic() {
        for refresh_ahead in [1.5, -0.5, f64::NAN, f64::INFINITY] {
            let policy = CachePolicy {
                refresh_ahead,
                ..CachePolicy::default()
            };
            assert!(policy.validate().is_err(), "{refresh_ahead}");
            let cache = SecretCache::new("test", policy, AuditTrail::tracing("test"), None);
            let (fetch, _) = counting();
            cache.get("db", &fetch).await.unwrap();
            tokio::time::advance(Duration::from_secs(100)).await;
            assert_eq!(
                cache.get("db", &fetch).await.unwrap().select(None).unwrap(),
                "v1"
            );
            tokio::time::sleep(Duration::from_secs(400)).await;
            cache.get("db", &fetch).await.unwrap();
        }
        let bad_rate = CachePolicy {
            max_requests_per_second: Some(f64::NAN),
            ..CachePolicy::default()
        };
        assert!(bad_rate.validate().is_err());
        assert!(CachePolicy::default().validate().is_ok());
    }
}
