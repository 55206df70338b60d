//! Secrets Manager: `GetSecretValue` by id and version stage.

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::Client;
use base64::Engine as _;
use config_runtime::{ProviderError, ProviderErrorKind, Secret, SecretData};
use zeroize::Zeroizing;

use super::errors::to_provider_error;
use super::{AwsBuilder, AwsSettings, describe_target};
use crate::store::{CachedProvider, SecretStore, WritableStore};

/// A cloneable handle to Secrets Manager answering `${aws-sm:<id>[@STAGE][#field]}`: clones
/// share one SDK client (and its connection pool and credentials) and one cache.
pub type SecretsManagerProvider = CachedProvider<SecretsManagerStore>;

/// The Secrets Manager side of a [`SecretsManagerProvider`]: the SDK client.
pub struct SecretsManagerStore {
    client: Client,
    target: String,
}

impl std::fmt::Debug for SecretsManagerStore {
    // Region and endpoint only: never credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsManagerStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl SecretsManagerStore {
    fn new(config: &SdkConfig) -> Self {
        SecretsManagerStore {
            client: Client::new(config),
            target: describe_target(config),
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

    /// The SDK client, for seeding and administration with the same settings.
    pub fn client(&self) -> &Client {
        &self.inner.client
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
        let mut output = self
            .client
            .get_secret_value()
            .secret_id(id)
            .set_version_stage(stage.map(str::to_owned))
            .send()
            .await
            .map_err(|e| to_provider_error(&e, &describe(locator)))?;
        // The text is moved out of the answer, not copied: no unwiped copy stays behind.
        let text = match (output.secret_string.take(), output.secret_binary.take()) {
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
        let data = SecretData::text(text);
        Ok(match output.version_id() {
            Some(version) => data.with_version(version),
            None => data,
        })
    }

    async fn version(&self, locator: &str) -> Result<Option<String>, ProviderError> {
        let (id, stage) = split_stage(locator);
        let wanted = stage.unwrap_or("AWSCURRENT");
        let output = self
            .client
            .describe_secret()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| to_provider_error(&e, &describe(locator)))?;
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
        let current = self.client.get_secret_value().secret_id(id).send().await;
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
            let put = self.client.put_secret_value().secret_id(id);
            let sent = put.secret_string(text.as_str()).send().await;
            sent.map(drop).map_err(|e| to_provider_error(&e, &shown))
        } else {
            let create = self.client.create_secret().name(id);
            let sent = create.secret_string(text.as_str()).send().await;
            sent.map(drop).map_err(|e| to_provider_error(&e, &shown))
        }
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
