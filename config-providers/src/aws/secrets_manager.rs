//! Secrets Manager: `GetSecretValue` by id and version stage.

use std::sync::Arc;

use aws_sdk_secretsmanager::Client;
use base64::Engine as _;
use config_runtime::provider::BoxFuture;
use config_runtime::{OutagePolicy, ProviderError, SecretData, SecretProvider};

use super::AwsSettings;
use super::errors::to_provider_error;
use crate::cache::{CacheStats, SecretCache, read_through};
use crate::safeguards::Safeguards;

/// A cloneable handle to Secrets Manager: clones share the client and the cache.
#[derive(Clone)]
pub struct SecretsManagerProvider {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    cache: Arc<SecretCache>,
    outage: OutagePolicy,
}

impl std::fmt::Debug for SecretsManagerProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsManagerProvider")
            .finish_non_exhaustive()
    }
}

impl SecretsManagerProvider {
    /// The standard AWS chain (region, credentials, `AWS_ENDPOINT_URL`), default safeguards.
    pub async fn from_env() -> Result<Self, ProviderError> {
        Ok(Self::new(&AwsSettings::default(), Safeguards::default()).await)
    }

    /// Explicit settings and safeguards (cache, audit, last-known-good, outage policy).
    pub async fn new(settings: &AwsSettings, safeguards: Safeguards) -> Self {
        let client = Client::new(&settings.sdk_config().await);
        let outage = safeguards.outage;
        SecretsManagerProvider {
            inner: Arc::new(Inner {
                client,
                cache: safeguards.into_cache("aws-sm"),
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
    pub async fn get(&self, locator: &str) -> Result<SecretData, ProviderError> {
        read_through(
            &self.inner.cache,
            self,
            locator,
            |this: Self, path| async move { this.read(&path).await },
        )
        .await
    }

    /// Reads from Secrets Manager, bypassing the cache: `id` or `id@STAGE`.
    pub async fn read(&self, locator: &str) -> Result<SecretData, ProviderError> {
        let (id, stage) = split_stage(locator);
        let what = format!("the Secrets Manager secret `{locator}`");
        let mut request = self.inner.client.get_secret_value().secret_id(id);
        if let Some(stage) = stage {
            request = request.version_stage(stage);
        }
        let output = request
            .send()
            .await
            .map_err(|e| to_provider_error(&e, &what))?;
        let text = match (output.secret_string(), output.secret_binary()) {
            (Some(text), _) => text.to_owned(),
            (None, Some(blob)) => match std::str::from_utf8(blob.as_ref()) {
                Ok(text) => text.to_owned(),
                Err(_) => base64::engine::general_purpose::STANDARD.encode(blob.as_ref()),
            },
            (None, None) => String::new(),
        };
        let data = SecretData::text(text);
        Ok(match output.version_id() {
            Some(version) => data.with_version(version),
            None => data,
        })
    }

    /// The id of the version in stage AWSCURRENT (or the stage asked for), without the value.
    pub async fn version_of(&self, locator: &str) -> Result<Option<String>, ProviderError> {
        let (id, stage) = split_stage(locator);
        let what = format!("the Secrets Manager secret `{locator}`");
        let wanted = stage.unwrap_or("AWSCURRENT");
        let output = self
            .inner
            .client
            .list_secret_version_ids()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| to_provider_error(&e, &what))?;
        Ok(output
            .versions()
            .iter()
            .find(|v| v.version_stages().iter().any(|s| s == wanted))
            .and_then(|v| v.version_id().map(str::to_owned)))
    }
}

/// `prod/db@AWSPREVIOUS` → (`prod/db`, Some("AWSPREVIOUS")): a suffix of capitals, digits
/// and `_` after the last `@` is a stage (secret names may contain `@` too).
fn split_stage(locator: &str) -> (&str, Option<&str>) {
    match locator.rsplit_once('@') {
        Some((id, stage))
            if !stage.is_empty()
                && stage
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') =>
        {
            (id, Some(stage))
        }
        _ => (locator, None),
    }
}

impl SecretProvider for SecretsManagerProvider {
    fn scheme(&self) -> &str {
        "aws-sm"
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

#[cfg(test)]
mod tests {
    use super::split_stage;

    #[test]
    fn stages_are_capital_suffixes() {
        assert_eq!(
            split_stage("prod/db@AWSPREVIOUS"),
            ("prod/db", Some("AWSPREVIOUS"))
        );
        assert_eq!(split_stage("prod/db"), ("prod/db", None));
        assert_eq!(split_stage("team@corp/db"), ("team@corp/db", None));
    }
}
