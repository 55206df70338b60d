//! SSM Parameter Store: `GetParameter` with decryption, versions (`name:3`), and
//! `GetParametersByPath` as a whole source of config values.

use std::sync::Arc;

use aws_sdk_ssm::Client;
use config_runtime::provider::BoxFuture;
use config_runtime::{OutagePolicy, ProviderError, RemoteSource, SecretData, SecretProvider};

use super::AwsSettings;
use super::errors::to_provider_error;
use crate::cache::{CacheStats, SecretCache, read_through};
use crate::safeguards::Safeguards;

/// A cloneable handle to Parameter Store: clones share the client and the cache.
#[derive(Clone)]
pub struct SsmProvider {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    cache: Arc<SecretCache>,
    outage: OutagePolicy,
}

impl std::fmt::Debug for SsmProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsmProvider").finish_non_exhaustive()
    }
}

impl SsmProvider {
    /// The standard AWS chain (region, credentials, `AWS_ENDPOINT_URL`), default safeguards.
    pub async fn from_env() -> Result<Self, ProviderError> {
        Ok(Self::new(&AwsSettings::default(), Safeguards::default()).await)
    }

    /// Explicit settings and safeguards (cache, audit, last-known-good, outage policy).
    pub async fn new(settings: &AwsSettings, safeguards: Safeguards) -> Self {
        let client = Client::new(&settings.sdk_config().await);
        let outage = safeguards.outage;
        SsmProvider {
            inner: Arc::new(Inner {
                client,
                cache: safeguards.into_cache("ssm"),
                outage,
            }),
        }
    }

    /// The SDK client, for seeding and administration.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// What the cache did so far.
    pub fn cache_stats(&self) -> CacheStats {
        self.inner.cache.stats()
    }

    /// Reads through the cache.
    pub async fn get(&self, name: &str) -> Result<SecretData, ProviderError> {
        read_through(
            &self.inner.cache,
            self,
            name,
            |this: Self, path| async move { this.read(&path).await },
        )
        .await
    }

    /// Reads one parameter from SSM, decrypted, bypassing the cache (`name` or `name:VERSION`).
    pub async fn read(&self, name: &str) -> Result<SecretData, ProviderError> {
        let what = format!("the SSM parameter `{name}`");
        let output = self
            .inner
            .client
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| to_provider_error(&e, &what))?;
        let parameter = output.parameter();
        let data = SecretData::text(parameter.and_then(|p| p.value()).unwrap_or_default());
        Ok(match parameter.map(|p| p.version()) {
            Some(version) if version > 0 => data.with_version(version.to_string()),
            _ => data,
        })
    }

    /// Every parameter under `path` (recursively, decrypted) as (config key, value): the
    /// name below `path`, with `/` turned into `.` — `/prod/app/redis/host` under `/prod/app`
    /// is `redis.host`. Feed them to a loader with `.set(key, value)`, or use
    /// [`SsmProvider::source`] for `.remote(..)`.
    pub async fn parameters_by_path(
        &self,
        path: &str,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        let what = format!("the SSM parameters under `{path}`");
        let prefix = format!("{}/", path.trim_end_matches('/'));
        let mut entries = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let output = self
                .inner
                .client
                .get_parameters_by_path()
                .path(path)
                .recursive(true)
                .with_decryption(true)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| to_provider_error(&e, &what))?;
            for parameter in output.parameters() {
                let (Some(name), Some(value)) = (parameter.name(), parameter.value()) else {
                    continue;
                };
                let key = name
                    .strip_prefix(&prefix)
                    .unwrap_or(name)
                    .trim_matches('/')
                    .replace('/', ".");
                entries.push((key, value.to_owned()));
            }
            match output.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        entries.sort();
        Ok(entries)
    }

    /// The parameters under `path` as a loader source: `loader.remote(ssm.source("/prod/app"))`.
    pub fn source(&self, path: impl Into<String>) -> SsmPathSource {
        SsmPathSource {
            provider: self.clone(),
            path: path.into(),
        }
    }

    /// The version of a parameter, without reading its value as a secret (for change polling).
    pub async fn version_of(&self, name: &str) -> Result<Option<String>, ProviderError> {
        if name
            .rsplit_once(':')
            .is_some_and(|(_, v)| v.chars().all(|c| c.is_ascii_digit()))
        {
            return Ok(None); // pinned to a version: cannot change
        }
        Ok(self.read(name).await?.version)
    }
}

impl SecretProvider for SsmProvider {
    fn scheme(&self) -> &str {
        "ssm"
    }

    fn fetch<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<SecretData, ProviderError>> {
        Box::pin(self.get(path))
    }

    fn outage_policy(&self) -> OutagePolicy {
        self.inner.outage
    }

    fn current_version<'a>(
        &'a self,
        path: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, ProviderError>> {
        Box::pin(self.version_of(path))
    }

    fn invalidate(&self, path: &str) {
        self.inner.cache.invalidate(path);
    }
}

/// The parameters under one path, as a loader source (see [`SsmProvider::source`]).
#[derive(Debug, Clone)]
pub struct SsmPathSource {
    provider: SsmProvider,
    path: String,
}

impl RemoteSource for SsmPathSource {
    fn describe(&self) -> String {
        format!("ssm {}", self.path)
    }

    fn entries(&self) -> BoxFuture<'_, Result<Vec<(String, String)>, ProviderError>> {
        Box::pin(self.provider.parameters_by_path(&self.path))
    }
}
