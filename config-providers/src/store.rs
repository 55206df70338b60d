//! The seam between a secret store and everything in front of it.
//!
//! A store ([`SecretStore`]) knows one thing: how to read a path from its service, and how to
//! read that path's version cheaply. [`CachedProvider`] puts the shared safeguards in front
//! of any store (the cache, the circuit breaker and rate bound, the audit trail, the
//! last-known-good store, the outage policy) and implements [`SecretProvider`] once for all
//! of them. The providers of this crate are that handle over their store: `VaultProvider` is
//! `CachedProvider<VaultStore>`, and so on.
//!
//! A store of your own gets the same safeguards:
//!
//! ```
//! use config_providers::safeguards::Safeguards;
//! use config_providers::store::{CachedProvider, SecretStore};
//! use config_runtime::{ProviderError, ProviderErrorKind, SecretData};
//!
//! /// Answers `${table:<name>}` from a fixed table.
//! #[derive(Debug)]
//! struct Table;
//!
//! impl SecretStore for Table {
//!     fn scheme(&self) -> &str {
//!         "table"
//!     }
//!
//!     async fn read(&self, path: &str) -> Result<SecretData, ProviderError> {
//!         match path {
//!             "db" => Ok(SecretData::fields([("password", "pw")]).with_version("1")),
//!             _ => Err(ProviderError::new(ProviderErrorKind::NotFound, format!("no `{path}`"))),
//!         }
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let table = CachedProvider::new(Table, Safeguards::default());
//! assert_eq!(table.get("db").await?.select(Some("password")).unwrap(), "pw");
//! assert_eq!(table.cache_stats().provider_calls, 1);
//! // then: AppConfig::loader().provider(table).load_async().await?
//! # Ok::<(), ProviderError>(()) }).unwrap();
//! ```

use std::future::Future;
use std::sync::{Arc, Weak};

use config_runtime::BoxFuture;
use config_runtime::source::Version;
use config_runtime::{
    OutagePolicy, ProviderError, ProviderStatus, Secret, SecretData, SecretProvider, SecretWriter,
};

use crate::cache::{CacheStats, Fetch, SecretCache};
use crate::safeguards::Safeguards;

/// The part of a provider that talks to its service: one scheme, reads by path.
///
/// Implementations never put a secret value in an error. Everything else (caching, retries
/// after failures, fallbacks, auditing) is done by the [`CachedProvider`] in front.
pub trait SecretStore: Send + Sync + 'static {
    /// The scheme of the references this store answers (`vault` in `${vault:..}`).
    fn scheme(&self) -> &str;

    /// Reads `path` (the reference without `#key`) from the service.
    fn read(&self, path: &str) -> impl Future<Output = Result<SecretData, ProviderError>> + Send;

    /// The current version of `path`, read cheaply (metadata only, no secret value), so a
    /// live config can poll for rotations. `Ok(None)`: this store cannot tell.
    fn version(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<Option<String>, ProviderError>> + Send {
        let _ = path;
        async { Ok(None) }
    }

    /// Reads several paths in as few requests as the service allows (a batch call), for a
    /// start-up that needs many. Returns the values it found; a path it leaves out (not
    /// found, not batchable, a stage the batch call cannot ask for) is read on its own with
    /// [`read`](Self::read), which reports it precisely. By default nothing is batched.
    fn read_many(
        &self,
        paths: &[String],
    ) -> impl Future<Output = Result<Vec<(String, SecretData)>, ProviderError>> + Send {
        let _ = paths;
        async { Ok(Vec::new()) }
    }
}

/// A store that takes writes (Vault KV, Secrets Manager): its [`CachedProvider`] is then a
/// [`SecretWriter`], what `migrate` moves plaintext secrets into.
pub trait WritableStore: SecretStore {
    /// Sets `fields` of the secret at `path`, keeping the fields it already has; creates the
    /// secret when there is none.
    fn write_fields(
        &self,
        path: &str,
        fields: &[(String, Secret<String>)],
    ) -> impl Future<Output = Result<(), ProviderError>> + Send;
}

impl<S: WritableStore> SecretWriter for CachedProvider<S> {
    fn scheme(&self) -> &str {
        self.inner.scheme()
    }

    fn write_fields<'a>(
        &'a self,
        path: &'a str,
        fields: &'a [(String, Secret<String>)],
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let path = path.trim_matches('/');
            self.inner.write_fields(path, fields).await?;
            // Later reads in this process see what was written.
            SecretProvider::invalidate(self, path);
            Ok(())
        })
    }
}

/// A cloneable handle to a store behind the shared safeguards; clones share the store's
/// client and one cache. Register it on a loader with `.provider(..)`.
pub struct CachedProvider<S> {
    /// The store (its client, connections, credentials), shared by clones.
    pub(crate) inner: Arc<S>,
    cache: Arc<SecretCache>,
    outage: OutagePolicy,
}

impl<S> Clone for CachedProvider<S> {
    fn clone(&self) -> Self {
        CachedProvider {
            inner: Arc::clone(&self.inner),
            cache: Arc::clone(&self.cache),
            outage: self.outage,
        }
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for CachedProvider<S> {
    // The store's own `Debug` says where it points; never credentials, never cached values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedProvider")
            .field("store", &self.inner)
            .field("outage", &self.outage)
            .finish_non_exhaustive()
    }
}

impl<S: SecretStore> CachedProvider<S> {
    /// `store` behind `safeguards` (cache, audit, last-known-good, outage policy).
    pub fn new(store: S, safeguards: Safeguards) -> Self {
        let outage = safeguards.outage;
        let cache = safeguards.into_cache(store.scheme());
        CachedProvider {
            inner: Arc::new(store),
            cache,
            outage,
        }
    }

    /// Like [`new`](Self::new), for a store that needs a handle to its own provider in
    /// background work (Vault fetches a secret again when its lease cannot be renewed).
    #[cfg_attr(not(feature = "vault"), allow(dead_code))]
    pub(crate) fn new_cyclic(
        scheme: &str,
        safeguards: Safeguards,
        store: impl FnOnce(WeakProvider<S>) -> S,
    ) -> Self {
        let outage = safeguards.outage;
        let cache = safeguards.into_cache(scheme);
        let inner = Arc::new_cyclic(|weak| {
            store(WeakProvider {
                inner: weak.clone(),
                cache: Arc::downgrade(&cache),
                outage,
            })
        });
        CachedProvider {
            inner,
            cache,
            outage,
        }
    }

    /// Reads `path` through the cache (what a reference does): from memory while fresh, else
    /// from the store, one request however many callers wait.
    pub async fn get(&self, path: &str) -> Result<SecretData, ProviderError> {
        let store = Arc::clone(&self.inner);
        let fetch: Fetch = Arc::new(move |path| {
            let store = Arc::clone(&store);
            Box::pin(async move { store.read(&path).await })
        });
        self.cache.get(path, &fetch).await
    }

    /// Reads `path` from the store, bypassing the cache and its safeguards.
    pub async fn read(&self, path: &str) -> Result<SecretData, ProviderError> {
        self.inner.read(path).await
    }

    /// The store's current version of `path`, from metadata only (see
    /// [`SecretStore::version`]).
    pub async fn version_of(&self, path: &str) -> Result<Option<Version>, ProviderError> {
        Ok(self.inner.version(path).await?.map(Version::new))
    }

    /// Reads those of `paths` the cache lacks with the store's batch call and keeps the
    /// answers, so the reads that follow are served from memory. A failed batch is only
    /// logged: each path is then read on its own, with the usual fallbacks.
    pub async fn prefetch_paths(&self, paths: &[String]) {
        let missing = self.cache.lacking(paths);
        if missing.len() < 2 {
            return;
        }
        match self.inner.read_many(&missing).await {
            Ok(found) => {
                for (path, data) in found {
                    self.cache.prefill(&path, data);
                }
            }
            Err(error) => tracing::debug!(
                target: "config_providers",
                scheme = self.inner.scheme(),
                "batch read failed, reading one by one: {error}"
            ),
        }
    }

    /// What the cache did so far (shared by all clones).
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }
}

impl<S: SecretStore> SecretProvider for CachedProvider<S> {
    fn scheme(&self) -> &str {
        self.inner.scheme()
    }

    fn status(&self) -> Option<ProviderStatus> {
        let stats = self.cache.stats();
        let mut status = ProviderStatus::new(self.inner.scheme());
        status.cache_hits = stats.hits;
        status.cache_misses = stats.misses;
        status.calls = stats.provider_calls;
        status.errors = stats.errors;
        status.stale_served = stats.stale_served;
        status.last_known_good_served = stats.last_known_good_served;
        status.breaker_opens = stats.breaker_opens;
        status.breaker = self.cache.breaker();
        Some(status)
    }

    fn fetch<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<SecretData, ProviderError>> {
        Box::pin(self.get(path))
    }

    fn outage_policy(&self) -> OutagePolicy {
        self.outage
    }

    fn current_version<'a>(
        &'a self,
        path: &'a str,
    ) -> BoxFuture<'a, Result<Option<Version>, ProviderError>> {
        Box::pin(self.version_of(path))
    }

    fn invalidate(&self, path: &str) {
        self.cache.invalidate(path);
    }

    fn prefetch<'a>(&'a self, paths: &'a [String]) -> BoxFuture<'a, ()> {
        Box::pin(self.prefetch_paths(paths))
    }
}

/// A handle that does not keep its provider alive: background tasks hold it, so dropping
/// every clone of the provider ends them.
#[cfg_attr(not(feature = "vault"), allow(dead_code))]
pub(crate) struct WeakProvider<S> {
    inner: Weak<S>,
    cache: Weak<SecretCache>,
    outage: OutagePolicy,
}

impl<S> Clone for WeakProvider<S> {
    fn clone(&self) -> Self {
        WeakProvider {
            inner: Weak::clone(&self.inner),
            cache: Weak::clone(&self.cache),
            outage: self.outage,
        }
    }
}

impl<S> WeakProvider<S> {
    /// The provider, while any clone of it is alive.
    #[cfg_attr(not(feature = "vault"), allow(dead_code))]
    pub(crate) fn upgrade(&self) -> Option<CachedProvider<S>> {
        Some(CachedProvider {
            inner: self.inner.upgrade()?,
            cache: self.cache.upgrade()?,
            outage: self.outage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use config_runtime::ProviderErrorKind;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Counts reads; version `n` on the n-th.
    #[derive(Debug, Default)]
    struct Counting {
        reads: AtomicU64,
    }

    impl SecretStore for Counting {
        fn scheme(&self) -> &str {
            "counting"
        }

        async fn read(&self, path: &str) -> Result<SecretData, ProviderError> {
            if path == "missing" {
                return Err(ProviderError::new(ProviderErrorKind::NotFound, "no such"));
            }
            let n = self.reads.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(SecretData::text(format!("{path} {n}")).with_version(n.to_string()))
        }
    }

    #[tokio::test]
    async fn one_handle_serves_any_store() {
        let provider = CachedProvider::new(
            Counting::default(),
            Safeguards::default().outage_policy(OutagePolicy::Optional),
        );
        let clone = provider.clone();
        assert_eq!(provider.scheme(), "counting");
        assert_eq!(provider.outage_policy(), OutagePolicy::Optional);
        assert_eq!(
            provider.fetch("a").await.unwrap().select(None).unwrap(),
            "a 1"
        );
        assert_eq!(clone.fetch("a").await.unwrap().select(None).unwrap(), "a 1");
        assert_eq!(
            provider.read("a").await.unwrap().select(None).unwrap(),
            "a 2"
        );
        clone.invalidate("a");
        assert_eq!(
            provider.fetch("a").await.unwrap().version.as_deref(),
            Some("3")
        );
        assert_eq!(
            provider.fetch("missing").await.unwrap_err().kind,
            ProviderErrorKind::NotFound
        );
        assert_eq!(provider.current_version("a").await.unwrap(), None);
        let stats = clone.cache_stats();
        assert_eq!((stats.hits, stats.provider_calls), (1, 3));
    }

    #[test]
    fn a_weak_handle_does_not_keep_the_provider() {
        let mut weak = None;
        let provider = CachedProvider::new_cyclic("counting", Safeguards::default(), |handle| {
            weak = Some(handle.clone());
            Counting::default()
        });
        let weak = weak.unwrap();
        assert!(weak.upgrade().is_some());
        drop(provider);
        assert!(weak.upgrade().is_none());
    }
}
