//! AWS Secrets Manager (`${aws-sm:..}`) and SSM Parameter Store (`${ssm:..}`), through the
//! official SDK crates, so the whole standard credential chain (environment, shared profile,
//! SSO, web identity, ECS and instance metadata) and `AWS_ENDPOINT_URL` work as in every
//! other AWS tool.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use config_providers::aws::{SecretsManagerProvider, SsmProvider};
//! let sm = SecretsManagerProvider::from_env().await?;   // ${aws-sm:prod/db#password}
//! let ssm = SsmProvider::from_env().await?;             // ${ssm:/prod/app/db_url}
//! # Ok(()) }
//! ```
//!
//! References:
//! - `${aws-sm:prod/db#password}`: field `password` of the JSON secret `prod/db`;
//!   `${aws-sm:prod/db@AWSPREVIOUS#password}` reads a version stage (`AWSCURRENT` by default).
//!   Binary secrets are given as UTF-8 text when they are, else as base64.
//! - `${ssm:/prod/app/db_url}`: a parameter, SecureStrings decrypted; `${ssm:/prod/app/db_url:3}`
//!   reads version 3.
//!
//! Whole trees of parameters can also feed a loader: [`SsmProvider::parameters_by_path`].
//!
//! Errors name the secret or parameter and the AWS error code
//! (`ResourceNotFoundException`, `AccessDeniedException`, …), never a value. They are
//! classified by that code rather than by HTTP status, because emulators differ from AWS
//! there (moto answers `ResourceNotFoundException` with 404, AWS with 400).

mod errors;
mod kms;
mod regions;
mod secrets_manager;
mod ssm;

pub use kms::KmsKeyService;
pub use secrets_manager::{SecretsManagerProvider, SecretsManagerStore};
pub use ssm::{SsmPathSource, SsmProvider, SsmStore};

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::config::Credentials;
use config_runtime::{ProviderError, ProviderErrorKind};

use crate::safeguards::Safeguards;
use crate::store::{CachedProvider, SecretStore};

/// How long one AWS request may take before it counts as an outage, unless set otherwise:
/// long enough for a cold KMS decrypt, short enough that a load does not hang.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and as whom to reach AWS. Everything left unset comes from the standard chain, so
/// `AwsSettings::new()` behaves like `from_env`; set fields for emulators and tests:
///
/// ```
/// use config_providers::aws::AwsSettings;
/// let settings = AwsSettings::new()
///     .endpoint("http://127.0.0.1:5000")
///     .region("us-east-1")
///     .credentials("test", "test");
/// assert!(!format!("{settings:?}").contains("\"test\""));
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct AwsSettings {
    endpoint: Option<String>,
    region: Option<String>,
    credentials: Option<(String, String)>,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for AwsSettings {
    // Hand-written: the secret access key must never be printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSettings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "[REDACTED]"),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl AwsSettings {
    /// Nothing set: the standard chain decides.
    pub fn new() -> Self {
        Self::default()
    }

    /// A custom endpoint (moto, LocalStack, a VPC endpoint); otherwise `AWS_ENDPOINT_URL`
    /// or the service's public endpoint.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The region; otherwise `AWS_REGION` or the profile's.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Static credentials; otherwise the standard chain.
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.credentials = Some((access_key_id.into(), secret_access_key.into()));
        self
    }

    /// How long one request attempt may take (10 s by default); the SDK retries transient
    /// failures up to 3 attempts in all.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// These settings with what they leave unset taken from `primary`, except the endpoint,
    /// which belongs to a region.
    fn inheriting(&self, primary: &AwsSettings) -> AwsSettings {
        AwsSettings {
            endpoint: self.endpoint.clone(),
            region: self.region.clone().or_else(|| primary.region.clone()),
            credentials: self
                .credentials
                .clone()
                .or_else(|| primary.credentials.clone()),
            timeout: self.timeout.or(primary.timeout),
        }
    }

    /// Loads the SDK configuration: the standard chain, overridden by what is set here.
    /// Fails without a region, since no request could be signed.
    pub(crate) async fn sdk_config(&self) -> Result<SdkConfig, ProviderError> {
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(timeout.min(Duration::from_secs(3)))
                .operation_attempt_timeout(timeout)
                .build(),
        );
        if let Some(endpoint) = &self.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some((key, secret)) = &self.credentials {
            loader = loader.credentials_provider(Credentials::new(
                key,
                secret,
                None,
                None,
                "config-providers",
            ));
        }
        let config = loader.load().await;
        if config.region().is_none() {
            return Err(ProviderError::new(
                ProviderErrorKind::Invalid,
                "AWS: no region configured; set AWS_REGION, a region in the AWS profile, \
                 or AwsSettings::region",
            ));
        }
        Ok(config)
    }
}

/// Builds a [`SecretsManagerProvider`] or an [`SsmProvider`]: `builder(settings)`, then
/// `.safeguards(..)`, then `.build().await`.
///
/// ```no_run
/// # async fn demo() -> Result<(), config_runtime::ProviderError> {
/// use config_providers::aws::{AwsSettings, SsmProvider};
/// use config_providers::safeguards::Safeguards;
/// let ssm = SsmProvider::builder(AwsSettings::new().region("eu-west-1"))
///     .safeguards(Safeguards::default())
///     .build()
///     .await?;
/// # let _ = ssm; Ok(()) }
/// ```
#[must_use]
pub struct AwsBuilder<S> {
    settings: AwsSettings,
    /// Replica regions, tried in order after the primary (Secrets Manager only).
    replicas: Vec<AwsSettings>,
    /// How long a region that failed is skipped.
    region_cooldown: Duration,
    safeguards: Safeguards,
    store: fn(&[SdkConfig], Duration) -> S,
}

impl<S> std::fmt::Debug for AwsBuilder<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsBuilder")
            .field("settings", &self.settings)
            .field("replicas", &self.replicas)
            .field("safeguards", &self.safeguards)
            .finish_non_exhaustive()
    }
}

impl<S: SecretStore> AwsBuilder<S> {
    fn new(settings: AwsSettings, store: fn(&[SdkConfig], Duration) -> S) -> Self {
        AwsBuilder {
            settings,
            replicas: Vec::new(),
            region_cooldown: regions::DEFAULT_COOLDOWN,
            safeguards: Safeguards::default(),
            store,
        }
    }

    /// The cache, audit sink, last-known-good store and outage policy (default: a 5-minute
    /// cache, `tracing` audit events, no fallback store, loads fail while AWS is unreachable).
    pub fn safeguards(mut self, safeguards: Safeguards) -> Self {
        self.safeguards = safeguards;
        self
    }

    /// Loads the SDK configuration and builds the provider. Fails when no region is
    /// configured or the safeguards' cache policy is invalid; credentials are resolved on
    /// first use.
    pub async fn build(self) -> Result<CachedProvider<S>, ProviderError> {
        self.safeguards.check()?;
        let mut configs = vec![self.settings.sdk_config().await?];
        for replica in &self.replicas {
            configs.push(replica.inheriting(&self.settings).sdk_config().await?);
        }
        if configs.len() > 1 {
            // The next region is the retry: one more attempt in the same region, not three,
            // before a read moves on.
            configs = configs
                .into_iter()
                .map(|config| {
                    config
                        .into_builder()
                        .retry_config(RetryConfig::standard().with_max_attempts(2))
                        .build()
                })
                .collect();
        }
        Ok(CachedProvider::new(
            (self.store)(&configs, self.region_cooldown),
            self.safeguards,
        ))
    }
}

/// Where a client talks to, for `Debug` of the providers (no credentials in it).
pub(crate) fn describe_target(config: &SdkConfig) -> String {
    let region = config.region().map_or("?", |r| r.as_ref());
    match config.endpoint_url() {
        Some(endpoint) => format!("{region} at {endpoint}"),
        None => region.to_owned(),
    }
}
