//! Azure Key Vault secrets: answers `${azure-kv:name@version#key}` over the REST API
//! (`GET {vault}/secrets/{name}/{version}?api-version=7.5`), answering the vault's 401 bearer
//! challenge with a token for the scope it names.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use config_providers::azure::KeyVaultProvider;
//! // AZURE_KEYVAULT_URL; AZURE_ACCESS_TOKEN, AZURE_TENANT_ID + AZURE_CLIENT_ID +
//! // AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE), else managed identity
//! let vault = KeyVaultProvider::from_env().await?;
//! // then: AppConfig::loader().env().provider(vault).load_async().await?
//! # Ok(()) }
//! ```
//!
//! References: `${azure-kv:db-password}` (the current version), `${azure-kv:db@<version id>}`,
//! `${azure-kv:db#password}` (field `password` of a JSON value). Tokens are kept until five
//! minutes before they expire and fetched again at once when the vault answers 401.
//! A `Live` config polls by reading the secret's current version id (Key Vault has no
//! cheaper call that names it).

mod challenge;
mod credentials;

use std::path::PathBuf;
use std::time::Duration;

use config_runtime::{ProviderError, ProviderErrorKind, Secret, SecretData};
use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;

use crate::body;
use crate::oauth;
use crate::safeguards::Safeguards;
use crate::store::{CachedProvider, SecretStore};
use challenge::Challenge;
use credentials::{App, Credentials, Tokens};

/// The API version this client speaks.
const API_VERSION: &str = "7.5";
/// Microsoft Entra ID's public cloud, unless `AZURE_AUTHORITY_HOST` names another.
const AUTHORITY_HOST: &str = "https://login.microsoftonline.com";
/// The instance metadata service's token endpoint.
const IMDS_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";
/// Key Vault values are at most 25 KiB; the envelope stays far below this.
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// A cloneable handle to one Key Vault answering `${azure-kv:..}`: clones share the HTTP
/// client, the token and one cache.
pub type KeyVaultProvider = CachedProvider<KeyVaultStore>;

/// The Key Vault side of a [`KeyVaultProvider`].
pub struct KeyVaultStore {
    http: reqwest::Client,
    vault: String,
    vault_host: String,
    tokens: Tokens,
}

impl std::fmt::Debug for KeyVaultStore {
    // The vault and how it authenticates: never a token or secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyVaultStore")
            .field("vault", &self.vault)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

/// Builds a [`KeyVaultProvider`]: `KeyVaultProvider::builder(vault_url)`, credentials, then
/// `.build()`.
#[must_use]
#[derive(Debug)]
pub struct KeyVaultBuilder {
    vault: String,
    authority: String,
    credentials: Option<Credentials>,
    timeout: Duration,
    safeguards: Safeguards,
}

impl KeyVaultProvider {
    /// The vault at `AZURE_KEYVAULT_URL`, credentials from the environment (see the module
    /// docs), default safeguards. Tokens are fetched on first use.
    pub async fn from_env() -> Result<Self, ProviderError> {
        KeyVaultBuilder::from_env()?.build()
    }

    /// A builder for the vault at `vault_url` (`https://myvault.vault.azure.net`), with
    /// managed identity unless other credentials are set.
    pub fn builder(vault_url: impl Into<String>) -> KeyVaultBuilder {
        KeyVaultBuilder {
            vault: vault_url.into().trim_end_matches('/').to_owned(),
            authority: AUTHORITY_HOST.to_owned(),
            credentials: None,
            timeout: Duration::from_secs(10),
            safeguards: Safeguards::default(),
        }
    }

    /// How many access tokens were fetched so far.
    pub fn tokens_fetched(&self) -> u64 {
        self.inner.tokens.fetched()
    }
}

impl KeyVaultBuilder {
    /// The builder `from_env` uses, to change some settings before building.
    pub fn from_env() -> Result<Self, ProviderError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let vault = var("AZURE_KEYVAULT_URL").ok_or_else(|| {
            ProviderError::new(ProviderErrorKind::Invalid, "AZURE_KEYVAULT_URL is not set")
        })?;
        let mut builder = KeyVaultProvider::builder(vault);
        if let Some(authority) = var("AZURE_AUTHORITY_HOST") {
            builder = builder.authority_host(authority);
        }
        let app = (var("AZURE_TENANT_ID"), var("AZURE_CLIENT_ID"));
        builder = match (
            var("AZURE_ACCESS_TOKEN"),
            app,
            var("AZURE_CLIENT_SECRET"),
            var("AZURE_FEDERATED_TOKEN_FILE"),
        ) {
            (Some(token), ..) => builder.access_token(token),
            (None, (Some(tenant), Some(client)), Some(secret), _) => {
                builder.client_secret(tenant, client, secret)
            }
            (None, (Some(tenant), Some(client)), None, Some(file)) => {
                builder.workload_identity(tenant, client, file)
            }
            (None, (_, client), ..) => {
                let builder = match (var("IDENTITY_ENDPOINT"), var("IDENTITY_HEADER")) {
                    (Some(endpoint), Some(header)) => {
                        builder.app_service_identity(endpoint, header)
                    }
                    _ => builder.managed_identity(IMDS_ENDPOINT),
                };
                match client {
                    Some(client) => builder.managed_identity_client_id(client),
                    None => builder,
                }
            }
        };
        Ok(builder)
    }

    /// The Entra ID authority host (`AZURE_AUTHORITY_HOST`; Azure's public cloud by default).
    pub fn authority_host(mut self, url: impl Into<String>) -> Self {
        self.authority = url.into();
        self
    }

    /// A fixed access token (never refreshed).
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::Static(Secret::new(token.into())));
        self
    }

    /// An app registration's client secret, exchanged at the tenant's token endpoint.
    pub fn client_secret(
        mut self,
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials::ClientSecret {
            app: app(tenant, client_id),
            secret: Secret::new(secret.into()),
        });
        self
    }

    /// Workload identity: the federated token in `token_file` (read at each exchange, as
    /// it rotates) exchanged at the tenant's token endpoint.
    pub fn workload_identity(
        mut self,
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        token_file: impl Into<PathBuf>,
    ) -> Self {
        self.credentials = Some(Credentials::WorkloadIdentity {
            app: app(tenant, client_id),
            token_file: token_file.into(),
        });
        self
    }

    /// Managed identity from the instance metadata service at `endpoint` (its token URL).
    pub fn managed_identity(mut self, endpoint: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::ManagedIdentity {
            endpoint: endpoint.into(),
            header: None,
            client_id: None,
        });
        self
    }

    /// Managed identity of App Service and Functions (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`).
    pub fn app_service_identity(
        mut self,
        endpoint: impl Into<String>,
        header: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials::ManagedIdentity {
            endpoint: endpoint.into(),
            header: Some(Secret::new(header.into())),
            client_id: None,
        });
        self
    }

    /// Picks a user-assigned managed identity by its client id.
    pub fn managed_identity_client_id(mut self, id: impl Into<String>) -> Self {
        if let Some(Credentials::ManagedIdentity { client_id, .. }) = &mut self.credentials {
            *client_id = Some(id.into());
        }
        self
    }

    /// Timeout of each request (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The cache, audit sink, last-known-good store and outage policy.
    pub fn safeguards(mut self, safeguards: Safeguards) -> Self {
        self.safeguards = safeguards;
        self
    }

    /// Builds the provider; no request is made until the first secret is read. Fails on a
    /// vault URL without a host.
    pub fn build(self) -> Result<KeyVaultProvider, ProviderError> {
        self.safeguards.check()?;
        let vault_host = url::Url::parse(&self.vault)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .ok_or_else(|| {
                ProviderError::new(
                    ProviderErrorKind::Invalid,
                    format!("the Key Vault URL `{}` has no host", self.vault),
                )
            })?;
        let mut credentials = self
            .credentials
            .unwrap_or_else(|| Credentials::ManagedIdentity {
                endpoint: IMDS_ENDPOINT.to_owned(),
                header: None,
                client_id: None,
            });
        if let Credentials::ClientSecret { app, .. } | Credentials::WorkloadIdentity { app, .. } =
            &mut credentials
        {
            app.authority = self.authority;
        }
        let http = oauth::client(self.timeout)?;
        let store = KeyVaultStore {
            http,
            vault: self.vault,
            vault_host,
            tokens: Tokens::new(credentials),
        };
        Ok(CachedProvider::new(store, self.safeguards))
    }
}

fn app(tenant: impl Into<String>, client_id: impl Into<String>) -> App {
    App {
        authority: AUTHORITY_HOST.to_owned(),
        tenant: tenant.into(),
        client_id: client_id.into(),
    }
}

impl SecretStore for KeyVaultStore {
    fn scheme(&self) -> &str {
        "azure-kv"
    }

    async fn read(&self, path: &str) -> Result<SecretData, ProviderError> {
        let answer = self.get(path).await?;
        let value = answer
            .get("value")
            .and_then(|v| v.as_str())
            .ok_or_else(|| invalid_answer(path, "it has no `value`"))?;
        let data = SecretData::text(value);
        Ok(match version_of(&answer) {
            Some(version) => data.with_version(version),
            None => data,
        })
    }

    async fn version(&self, path: &str) -> Result<Option<String>, ProviderError> {
        let answer = self.get(path).await?;
        Ok(version_of(&answer).map(str::to_owned))
    }
}

impl KeyVaultStore {
    /// GET the secret `path` names (`name` or `name@version`); after a 401, answers the
    /// challenge once with a new token for the scope it names.
    async fn get(&self, path: &str) -> Result<body::WipedJson, ProviderError> {
        let url = self.secret_url(path)?;
        let mut retried = false;
        loop {
            let token = match self.tokens.awaiting_challenge() {
                true => None,
                false => Some(self.tokens.current(&self.http).await?),
            };
            let mut request = self.http.get(&url);
            if let Some(token) = &token {
                request = request.bearer_auth(token.as_str());
            }
            let response = request.send().await.map_err(|e| {
                ProviderError::new(
                    ProviderErrorKind::Unavailable,
                    format!(
                        "cannot reach Azure Key Vault at {} for `{path}`: {}",
                        self.vault,
                        oauth::no_answer(&e)
                    ),
                )
            })?;
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && !retried {
                let challenge = response
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|h| h.to_str().ok())
                    .and_then(|h| Challenge::parse(h, &self.vault_host));
                if let Some(challenge) = challenge
                    && self
                        .tokens
                        .challenged(token.as_deref().map(String::as_str), &challenge.scope)
                        .await
                {
                    retried = true;
                    continue;
                }
            }
            let what = format!("Azure Key Vault's answer for `{path}`");
            let bytes = body::read_capped(response, MAX_RESPONSE_BYTES, &what).await?;
            let answer = body::parse(&bytes);
            if !status.is_success() {
                return Err(status_error(status, answer.as_deref(), path));
            }
            return answer.ok_or_else(|| invalid_answer(path, "it is not JSON"));
        }
    }

    /// `{vault}/secrets/{name}[/{version}]?api-version=7.5`, names checked first.
    fn secret_url(&self, path: &str) -> Result<String, ProviderError> {
        let (name, version) = match path.rsplit_once('@') {
            Some((name, version)) => (name, Some(version)),
            None => (path, None),
        };
        let is_name = |text: &str| {
            !text.is_empty()
                && text.len() <= 127
                && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if !is_name(name) || !version.is_none_or(|v| is_name(v) && !v.contains('-')) {
            return Err(ProviderError::new(
                ProviderErrorKind::Invalid,
                format!(
                    "Azure Key Vault reference `{path}`: a secret name holds letters, digits \
                     and `-`, and a version after `@` letters and digits"
                ),
            ));
        }
        Ok(match version {
            Some(version) => format!(
                "{}/secrets/{name}/{version}?api-version={API_VERSION}",
                self.vault
            ),
            None => format!("{}/secrets/{name}?api-version={API_VERSION}", self.vault),
        })
    }
}

/// The version id at the end of a secret bundle's `id`.
fn version_of(answer: &serde_json::Value) -> Option<&str> {
    answer
        .get("id")
        .and_then(|id| id.as_str())
        .and_then(|id| id.rsplit_once('/'))
        .map(|(_, version)| version)
        .filter(|version| !version.is_empty())
}

fn invalid_answer(path: &str, why: &str) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::Invalid,
        format!("Azure Key Vault's answer for `{path}` is refused: {why}"),
    )
}

/// An error answer as a [`ProviderError`], named by the error code Key Vault puts in its
/// body (`SecretNotFound`, `Forbidden`…), never by its message text.
fn status_error(
    status: StatusCode,
    answer: Option<&serde_json::Value>,
    path: &str,
) -> ProviderError {
    let code = status.as_u16();
    let error_code = |pointer: &str| {
        answer
            .and_then(|a| a.pointer(pointer))
            .and_then(|c| c.as_str())
            .filter(|c| {
                !c.is_empty() && c.len() <= 64 && c.chars().all(|c| c.is_ascii_alphanumeric())
            })
    };
    let label = match (
        error_code("/error/code"),
        error_code("/error/innererror/code"),
    ) {
        (Some(outer), Some(inner)) => format!("HTTP {code} {outer}/{inner}"),
        (Some(outer), None) => format!("HTTP {code} {outer}"),
        _ => format!("HTTP {code}"),
    };
    let (kind, what) = match code {
        404 => (ProviderErrorKind::NotFound, "no such secret or version"),
        401 => (
            ProviderErrorKind::Denied,
            "the token was refused (missing, expired or for another audience)",
        ),
        403 => (
            ProviderErrorKind::Denied,
            "access denied: check the identity's role or access policy (secrets get)",
        ),
        429 => (ProviderErrorKind::Unavailable, "rate-limited"),
        500..=599 => (ProviderErrorKind::Unavailable, "the service failed"),
        _ => (ProviderErrorKind::Invalid, "the request was refused"),
    };
    ProviderError::new(
        kind,
        format!("Azure Key Vault secret `{path}`: {what} ({label})"),
    )
}
