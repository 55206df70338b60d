//! Secrets Manager: `GetSecretValue` by id and version stage, in the primary region or,
//! when it is unavailable, in the replica regions (see [`regions`](super::regions)).

use std::future::Future;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use base64::Engine as _;
use config_runtime::{ProviderError, ProviderErrorKind, Secret, SecretData};
use zeroize::Zeroizing;

use super::errors::to_provider_error;
use super::regions::Regions;
use super::{AwsBuilder, AwsSettings, describe_target};
use crate::store::{CachedProvider, SecretStore, WritableStore};

/// A cloneable handle to Secrets Manager answering `${aws-sm:<id>[@STAGE][#field]}`: clones
/// share one SDK client (and its connection pool and credentials) and one cache.
pub type SecretsManagerProvider = CachedProvider<SecretsManagerStore>;

/// The Secrets Manager side of a [`SecretsManagerProvider`]: an SDK client per region, the
/// primary first.
pub struct SecretsManagerStore {
    regions: Regions<Client>,
}

impl std::fmt::Debug for SecretsManagerStore {
    // Regions and endpoints only: never credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsManagerStore")
            .field("regions", &self.regions)
            .finish_non_exhaustive()
    }
}

impl SecretsManagerStore {
    fn new(configs: &[SdkConfig], cooldown: Duration) -> Self {
        let members = configs
            .iter()
            .map(|config| {
                let region = config.region().map_or("?", |r| r.as_ref()).to_owned();
                (region, Client::new(config), describe_target(config))
            })
            .collect();
        SecretsManagerStore {
            regions: Regions::new(members, cooldown),
        }
    }
}

impl SecretsManagerProvider {
    /// The standard AWS chain (region, credentials, `AWS_ENDPOINT_URL`), default safeguards.
    /// Fails only when no region is configured; credentials are resolved on first use.
    pub async fn from_env() -> Result<Self, ProviderError> {
        Self::builder(AwsSettings::new()).build().await
    }

    /// A builder with explicit settings (endpoint, region, credentials); set the
    /// safeguards on it.
    pub fn builder(settings: AwsSettings) -> AwsBuilder<SecretsManagerStore> {
        AwsBuilder::new(settings, SecretsManagerStore::new)
    }

    /// The SDK client of the primary region, for seeding and administration with the same
    /// settings.
    pub fn client(&self) -> &Client {
        self.inner.regions.primary()
    }

    /// The SDK client of `region` (the primary or a replica).
    pub fn client_in(&self, region: &str) -> Option<&Client> {
        self.inner.regions.client(region)
    }
}

impl AwsBuilder<SecretsManagerStore> {
    /// Adds a replica region, tried (in the order added) when the regions before it fail
    /// with a connection failure, throttling or a 5xx. What `settings` leave unset comes
    /// from the primary's settings, except the endpoint: `AwsSettings::new().region("eu-west-1")`.
    pub fn replica(mut self, settings: AwsSettings) -> Self {
        self.replicas.push(settings);
        self
    }

    /// How long a region that failed is skipped before one read tries it again (30 s by
    /// default); reads return to the primary once it answers.
    pub fn region_cooldown(mut self, cooldown: Duration) -> Self {
        self.region_cooldown = cooldown;
        self
    }
}

/// Reads `id` or `id@STAGE`. Text secrets come as they are (a JSON object answers `#field`);
/// binary ones as UTF-8 text when they are valid UTF-8, else as base64. The version id is
/// [`SecretData::version`]; polling reads the version id now in stage `AWSCURRENT` (or the
/// stage of the locator) from the secret's metadata, without its value.
impl SecretStore for SecretsManagerStore {
    fn scheme(&self) -> &str {
        "aws-sm"
    }

    async fn read(&self, locator: &str) -> Result<SecretData, ProviderError> {
        let (id, stage) = split_stage(locator);
        let (mut output, region) = self
            .call(&describe(locator), |client| {
                client
                    .get_secret_value()
                    .secret_id(id)
                    .set_version_stage(stage.map(str::to_owned))
                    .send()
            })
            .await?;
        // The text is moved out of the answer, not copied: no unwiped copy stays behind.
        Ok(secret_data(
            output.secret_string.take(),
            output.secret_binary.take(),
            output.version_id(),
            region,
        ))
    }

    /// `BatchGetSecretValue`, 20 ids a call, for ids without a stage (the batch call reads
    /// `AWSCURRENT` only). Ids it reports errors for are left to [`read`](Self::read).
    async fn read_many(
        &self,
        paths: &[String],
    ) -> Result<Vec<(String, SecretData)>, ProviderError> {
        let ids: Vec<&String> = paths
            .iter()
            .filter(|path| split_stage(path).1.is_none())
            .collect();
        let mut found = Vec::new();
        for chunk in ids.chunks(BATCH_SIZE) {
            let list: Vec<String> = chunk.iter().map(|id| (*id).clone()).collect();
            let what = format!("AWS Secrets Manager batch of {} secrets", list.len());
            let (mut output, region) = self
                .call(&what, |client| {
                    client
                        .batch_get_secret_value()
                        .set_secret_id_list(Some(list.clone()))
                        .send()
                })
                .await?;
            for mut value in output.secret_values.take().unwrap_or_default() {
                let asked = chunk.iter().find(|id| {
                    value.name.as_deref() == Some(id.as_str())
                        || value.arn.as_deref() == Some(id.as_str())
                });
                if let Some(id) = asked {
                    let data = secret_data(
                        value.secret_string.take(),
                        value.secret_binary.take(),
                        value.version_id(),
                        region,
                    );
                    found.push(((*id).clone(), data));
                }
            }
        }
        Ok(found)
    }

    async fn version(&self, locator: &str) -> Result<Option<String>, ProviderError> {
        let (id, stage) = split_stage(locator);
        let wanted = stage.unwrap_or("AWSCURRENT");
        let (output, _) = self
            .call(&describe(locator), |client| {
                client.describe_secret().secret_id(id).send()
            })
            .await?;
        Ok(output.version_ids_to_stages().and_then(|versions| {
            versions
                .iter()
                .find(|(_, stages)| stages.iter().any(|s| s == wanted))
                .map(|(version, _)| version.clone())
        }))
    }
}

/// `migrate --to aws-sm:<id>` writes here: the fields are added to the secret's JSON object
/// (its other fields kept) as a new version; a secret that does not exist is created.
impl WritableStore for SecretsManagerStore {
    async fn write_fields(
        &self,
        id: &str,
        fields: &[(String, Secret<String>)],
    ) -> Result<(), ProviderError> {
        let shown = describe(id);
        let current = self
            .regions
            .primary()
            .get_secret_value()
            .secret_id(id)
            .send()
            .await;
        let (mut object, exists) = match current {
            Ok(mut output) => {
                let text = Zeroizing::new(output.secret_string.take().unwrap_or_default());
                let object = match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(serde_json::Value::Object(object)) => object,
                    _ if text.trim().is_empty() => serde_json::Map::new(),
                    _ => {
                        return Err(ProviderError::new(
                            ProviderErrorKind::Invalid,
                            format!("{shown} is not a JSON object: fields cannot be added to it"),
                        ));
                    }
                };
                (object, true)
            }
            Err(error) => {
                let error = to_provider_error(&error, &shown);
                if error.kind != ProviderErrorKind::NotFound {
                    return Err(error);
                }
                (serde_json::Map::new(), false)
            }
        };
        for (field, value) in fields {
            let value = serde_json::Value::String(value.expose_secret().clone());
            object.insert(field.clone(), value);
        }
        let mut document = serde_json::Value::Object(object);
        let text = Zeroizing::new(document.to_string());
        crate::body::wipe(&mut document);
        if exists {
            let put = self.regions.primary().put_secret_value().secret_id(id);
            let sent = put.secret_string(text.as_str()).send().await;
            sent.map(drop).map_err(|e| to_provider_error(&e, &shown))
        } else {
            let create = self.regions.primary().create_secret().name(id);
            let sent = create.secret_string(text.as_str()).send().await;
            sent.map(drop).map_err(|e| to_provider_error(&e, &shown))
        }
    }
}

impl SecretsManagerStore {
    /// Sends the request `call` builds in the first region that answers (see
    /// [`Regions::call`]); `what` names the secret in errors.
    async fn call<'a, T, E, Fut>(
        &'a self,
        what: &str,
        call: impl Fn(&'a Client) -> Fut,
    ) -> Result<(T, &'a str), ProviderError>
    where
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.regions
            .call(what, |client| {
                let sent = call(client);
                async move { sent.await.map_err(|e| to_provider_error(&e, what)) }
            })
            .await
    }
}

/// The most ids `BatchGetSecretValue` takes in one call.
const BATCH_SIZE: usize = 20;

/// A secret's value as [`SecretData`]: text as it is; binary as UTF-8 text when it is, else
/// as base64 (the bytes wiped).
fn secret_data(
    text: Option<String>,
    binary: Option<aws_sdk_secretsmanager::primitives::Blob>,
    version: Option<&str>,
    region: &str,
) -> SecretData {
    let text = match (text, binary) {
        (Some(text), _) => text,
        (None, Some(blob)) => match String::from_utf8(blob.into_inner()) {
            Ok(text) => text,
            Err(not_text) => {
                let mut bytes = not_text.into_bytes();
                let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
                zeroize::Zeroize::zeroize(&mut bytes);
                encoded
            }
        },
        (None, None) => String::new(),
    };
    let data = SecretData::text(text).with_answered_by(region);
    match version {
        Some(version) => data.with_version(version),
        None => data,
    }
}

/// How errors name a secret: its id and stage, as written in the reference.
fn describe(locator: &str) -> String {
    format!("AWS Secrets Manager secret `{locator}`")
}

/// `prod/db@AWSPREVIOUS` → (`prod/db`, Some("AWSPREVIOUS")): a suffix of capitals, digits
/// and `_` after the last `@` is a stage. Secret names may contain `@` themselves (`team@corp`),
/// and AWS's own stages, like most custom ones, are in capitals.
fn split_stage(locator: &str) -> (&str, Option<&str>) {
    match locator.rsplit_once('@') {
        Some((id, stage))
            if !id.is_empty()
                && !stage.is_empty()
                && stage
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') =>
        {
            (id, Some(stage))
        }
        _ => (locator, None),
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
        assert_eq!(split_stage("prod/db@V2"), ("prod/db", Some("V2")));
        assert_eq!(split_stage("prod/db"), ("prod/db", None));
        assert_eq!(split_stage("team@corp/db"), ("team@corp/db", None));
        assert_eq!(split_stage("@AWSCURRENT"), ("@AWSCURRENT", None));
        assert_eq!(split_stage("prod/db@"), ("prod/db@", None));
    }
}
