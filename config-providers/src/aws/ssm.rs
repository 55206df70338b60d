//! SSM Parameter Store: `GetParameter` with decryption, versions (`name:3`), and
//! `GetParametersByPath` for whole trees of plain config values.

use aws_config::SdkConfig;
use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::ParameterStringFilter;
use config_runtime::source::{Entry, GatherContext, Gathered, Gathering, Poll, Source, Trust};
use config_runtime::{Origin, ProviderError, ProviderErrorKind, SecretData};

use super::errors::to_provider_error;
use super::{AwsBuilder, AwsSettings, describe_target};
use crate::store::{CachedProvider, SecretStore};

/// A cloneable handle to Parameter Store answering `${ssm:<name>[:VERSION]}`: clones share one
/// SDK client and one cache.
pub type SsmProvider = CachedProvider<SsmStore>;

/// The Parameter Store side of an [`SsmProvider`]: the SDK client.
pub struct SsmStore {
    client: Client,
    target: String,
}

impl std::fmt::Debug for SsmStore {
    // Region and endpoint only: never credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsmStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl SsmStore {
    fn new(config: &SdkConfig) -> Self {
        SsmStore {
            client: Client::new(config),
            target: describe_target(config),
        }
    }
}

impl SsmProvider {
    /// The standard AWS chain (region, credentials, `AWS_ENDPOINT_URL`), default safeguards.
    /// Fails only when no region is configured; credentials are resolved on first use.
    pub async fn from_env() -> Result<Self, ProviderError> {
        Self::builder(AwsSettings::new()).build().await
    }

    /// A builder with explicit settings (endpoint, region, credentials); set the
    /// safeguards on it.
    pub fn builder(settings: AwsSettings) -> AwsBuilder<SsmStore> {
        AwsBuilder::new(settings, |configs, _| SsmStore::new(&configs[0]))
    }

    /// The SDK client, for seeding and administration with the same settings.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Every parameter under `path`, recursively and decrypted, as `(config key, value)`
    /// pairs sorted by key, for `Loader::set(key, value)` (or use [`SsmProvider::source`]).
    ///
    /// The key is the parameter's name below `path` with each `/` turned into `.`: under
    /// `/prod/app`, `/prod/app/port` is `port` and `/prod/app/redis/host` is `redis.host`, the
    /// key path of field `host` of the nested `redis` config. Names are otherwise kept as they
    /// are, so name parameters after the fields (`db_url`, not `db-url`). An empty path is an
    /// empty list, not an error (SSM does not tell a missing path from an empty one).
    ///
    /// These values come from the store as plain config, not through a reference: a
    /// SecureString loaded this way into a non-`Secret` field is not rejected, so keep secrets
    /// as `${ssm:..}` references.
    pub async fn parameters_by_path(
        &self,
        path: &str,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        let parameters = self.parameters_under(path).await?;
        Ok(parameters.into_iter().map(|p| (p.key, p.value)).collect())
    }

    /// The parameters under `path`, each with whether SSM decrypted it.
    async fn parameters_under(&self, path: &str) -> Result<Vec<PathParameter>, ProviderError> {
        let what = format!("AWS SSM parameters under `{path}`");
        let mut entries = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut output = self
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
            let next = output.next_token.take();
            for mut parameter in output.parameters.take().unwrap_or_default() {
                if let (Some(name), Some(value)) =
                    (parameter.name.as_deref(), parameter.value.take())
                {
                    let secure = matches!(
                        parameter.r#type(),
                        Some(aws_sdk_ssm::types::ParameterType::SecureString)
                    );
                    entries.push(PathParameter {
                        key: config_key(path, name),
                        value,
                        kind: if secure {
                            ParameterKind::Decrypted
                        } else {
                            ParameterKind::Plain
                        },
                    });
                }
            }
            match next {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => break,
            }
        }
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(entries)
    }

    /// The parameters under `path` as a loader source, `loader.source(ssm.source("/prod/app"))`,
    /// keyed like [`SsmProvider::parameters_by_path`].
    pub fn source(&self, path: impl Into<String>) -> SsmPathSource {
        SsmPathSource {
            provider: self.clone(),
            path: path.into(),
        }
    }
}

/// The most names `GetParameters` takes in one call.
const BATCH_SIZE: usize = 10;

/// A parameter as [`SecretData`], its version attached. The value is moved out of the
/// answer, not copied: no unwiped copy stays behind.
fn parameter_data(mut parameter: aws_sdk_ssm::types::Parameter) -> SecretData {
    let data = SecretData::text(parameter.value.take().unwrap_or_default());
    match parameter.version {
        version if version > 0 => data.with_version(version.to_string()),
        _ => data,
    }
}

/// How errors name a parameter: as written in the reference.
fn describe(name: &str) -> String {
    format!("AWS SSM parameter `{name}`")
}

/// `/prod/app/redis/host` under `/prod/app` (or `/prod/app/`) → `redis.host`.
fn config_key(path: &str, name: &str) -> String {
    let base = path.trim_end_matches('/');
    name.strip_prefix(base)
        .filter(|rest| rest.starts_with('/'))
        .unwrap_or(name)
        .trim_matches('/')
        .replace('/', ".")
}

/// Reads one parameter: `name`, or `name:VERSION` (SSM's own selector syntax, so
/// `name:label` works too). SecureStrings are decrypted; the parameter's version is
/// [`SecretData::version`]. Polling reads the version from the parameter's metadata
/// (`DescribeParameters`) without decrypting its value; `name:VERSION` cannot change.
impl SecretStore for SsmStore {
    fn scheme(&self) -> &str {
        "ssm"
    }

    async fn read(&self, name: &str) -> Result<SecretData, ProviderError> {
        let mut output = self
            .client
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| to_provider_error(&e, &describe(name)))?;
        Ok(output
            .parameter
            .take()
            .map(parameter_data)
            .unwrap_or_else(|| SecretData::text(String::new())))
    }

    /// `GetParameters`, 10 names a call, for names without a `:VERSION` selector. Names it
    /// reports invalid are left to [`read`](Self::read).
    async fn read_many(
        &self,
        paths: &[String],
    ) -> Result<Vec<(String, SecretData)>, ProviderError> {
        let names: Vec<String> = paths
            .iter()
            .filter(|name| !name.contains(':'))
            .cloned()
            .collect();
        let mut found = Vec::new();
        for chunk in names.chunks(BATCH_SIZE) {
            let what = format!("AWS SSM batch of {} parameters", chunk.len());
            let mut output = self
                .client
                .get_parameters()
                .set_names(Some(chunk.to_vec()))
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| to_provider_error(&e, &what))?;
            for parameter in output.parameters.take().unwrap_or_default() {
                if let Some(name) = parameter.name.clone().filter(|n| chunk.contains(n)) {
                    found.push((name, parameter_data(parameter)));
                }
            }
        }
        Ok(found)
    }

    async fn version(&self, name: &str) -> Result<Option<String>, ProviderError> {
        if let Some((_, selector)) = name.rsplit_once(':') {
            if selector.chars().all(|c| c.is_ascii_digit()) {
                return Ok(None);
            }
            // A label moves between versions: only reading it tells where it points.
            return Ok(self
                .read(name)
                .await?
                .version
                .map(|v| v.as_str().to_owned()));
        }
        let filter = ParameterStringFilter::builder()
            .key("Name")
            .option("Equals")
            .values(name)
            .build()
            .map_err(|e| {
                ProviderError::new(
                    ProviderErrorKind::Invalid,
                    format!("{}: {e}", describe(name)),
                )
            })?;
        let output = self
            .client
            .describe_parameters()
            .parameter_filters(filter)
            .send()
            .await
            .map_err(|e| to_provider_error(&e, &describe(name)))?;
        match output.parameters().iter().find(|p| p.name() == Some(name)) {
            Some(found) => Ok(Some(found.version().to_string())),
            None => Err(ProviderError::new(
                ProviderErrorKind::NotFound,
                format!("{}: ParameterNotFound", describe(name)),
            )),
        }
    }
}

/// The parameters under one path, as a loader source (see [`SsmProvider::source`]).
#[derive(Debug, Clone)]
pub struct SsmPathSource {
    provider: SsmProvider,
    path: String,
}

/// One parameter under a path.
struct PathParameter {
    key: String,
    value: String,
    kind: ParameterKind,
}

/// Whether SSM decrypted a parameter (a SecureString).
enum ParameterKind {
    Plain,
    Decrypted,
}

/// Plain parameters are remote data (a `${..}` in them stays text); decrypted SecureStrings
/// are provider values: only into `Secret<T>` fields. Gathered again on a `Live` config's
/// poll interval.
impl Source for SsmPathSource {
    fn name(&self) -> String {
        format!("ssm {}", self.path)
    }

    fn trust(&self) -> Trust {
        Trust::RemoteData
    }

    fn gather(&self, _: &GatherContext) -> Gathering<'_> {
        Gathering::Pending(Box::pin(async move {
            let name = self.name();
            let parameters = self.provider.parameters_under(&self.path).await?;
            let entries = parameters
                .into_iter()
                .map(|parameter| {
                    let origin = Origin::Remote {
                        source: name.clone(),
                        key: Some(parameter.key.clone()),
                    };
                    let entry = Entry::key(parameter.key, parameter.value, origin);
                    match parameter.kind {
                        ParameterKind::Plain => entry,
                        ParameterKind::Decrypted => entry.with_trust(Trust::SecretProvider),
                    }
                })
                .collect();
            Ok(Gathered::new(entries))
        }))
    }

    fn poll(&self) -> Poll {
        Poll::OnInterval
    }
}

#[cfg(test)]
mod tests {
    use super::config_key;

    #[test]
    fn names_below_the_path_become_key_paths() {
        assert_eq!(
            config_key("/prod/app", "/prod/app/redis/host"),
            "redis.host"
        );
        assert_eq!(config_key("/prod/app/", "/prod/app/port"), "port");
        assert_eq!(config_key("/", "/port"), "port");
        assert_eq!(
            config_key("/prod/app", "/prod/application/x"),
            "prod.application.x"
        );
    }
}
