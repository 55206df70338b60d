//! Google Cloud Secret Manager: answers `${gcp-sm:name@version#key}` over the REST API
//! (`versions/*:access`), with application default credentials.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use config_providers::gcp::SecretManagerProvider;
//! // GOOGLE_CLOUD_PROJECT; GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_APPLICATION_CREDENTIALS or the
//! // metadata server; GCP_SECRET_MANAGER_ENDPOINT for an emulator
//! let gcp = SecretManagerProvider::from_env().await?;
//! // then: AppConfig::loader().env().provider(gcp).load_async().await?
//! # Ok(()) }
//! ```
//!
//! References: `${gcp-sm:db}` (the latest version of `db` in the default project),
//! `${gcp-sm:db@3}` (version 3), `${gcp-sm:projects/p1/secrets/db#password}` (field
//! `password` of a JSON payload in another project). A payload's `dataCrc32c`, when the
//! service sends it, is checked; a payload that is not UTF-8 is given as base64.
//!
//! Credentials, first found wins: [`SecretManagerBuilder::access_token`]
//! (`GOOGLE_OAUTH_ACCESS_TOKEN`), a service-account key file (`GOOGLE_APPLICATION_CREDENTIALS`:
//! a signed JWT exchanged at its `token_uri`), the metadata server (`GCE_METADATA_HOST`, else
//! `metadata.google.internal`). Tokens are kept until five minutes before they expire, and
//! fetched again at once when the API answers 401.

mod crc32c;
mod credentials;
mod locator;
mod service_account;

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use config_runtime::{ProviderError, ProviderErrorKind, Secret, SecretData};
use reqwest::StatusCode;
use zeroize::Zeroizing;

use crate::body;
use crate::oauth;
use crate::safeguards::Safeguards;
use crate::store::{CachedProvider, SecretStore};
use credentials::{Credentials, Tokens};
use locator::Locator;
use service_account::ServiceAccount;

/// Google's public endpoint.
const PUBLIC_ENDPOINT: &str = "https://secretmanager.googleapis.com";
/// The metadata server when `GCE_METADATA_HOST` does not name another.
const METADATA_HOST: &str = "metadata.google.internal";
/// Secret Manager payloads are at most 64 KiB; base64 and the envelope stay well below this.
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// A cloneable handle to Secret Manager answering `${gcp-sm:..}`: clones share the HTTP
/// client, the token and one cache.
pub type SecretManagerProvider = CachedProvider<SecretManagerStore>;

/// The Secret Manager side of a [`SecretManagerProvider`]: the HTTP client, the endpoint,
/// the default project and the token.
pub struct SecretManagerStore {
    http: reqwest::Client,
    endpoint: String,
    project: Option<String>,
    tokens: Tokens,
}

impl std::fmt::Debug for SecretManagerStore {
    // Where it points and how it authenticates: never a token or key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretManagerStore")
            .field("endpoint", &self.endpoint)
            .field("project", &self.project)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

/// Builds a [`SecretManagerProvider`]: `SecretManagerProvider::builder()`, settings, then
/// `.build()`.
#[must_use]
#[derive(Debug)]
pub struct SecretManagerBuilder {
    endpoint: String,
    project: Option<String>,
    credentials: Option<Credentials>,
    timeout: Duration,
    safeguards: Safeguards,
}

impl SecretManagerProvider {
    /// Settings from the environment: `GCP_SECRET_MANAGER_ENDPOINT`, `GOOGLE_CLOUD_PROJECT`
    /// (else the service-account file's project), and credentials from
    /// `GOOGLE_OAUTH_ACCESS_TOKEN`, `GOOGLE_APPLICATION_CREDENTIALS` or the metadata server.
    /// Fails on an unreadable credentials file; tokens are fetched on first use.
    pub async fn from_env() -> Result<Self, ProviderError> {
        SecretManagerBuilder::from_env()?.build()
    }

    /// A builder with nothing set: Google's endpoint, the metadata server, no default
    /// project.
    pub fn builder() -> SecretManagerBuilder {
        SecretManagerBuilder {
            endpoint: PUBLIC_ENDPOINT.to_owned(),
            project: None,
            credentials: None,
            timeout: Duration::from_secs(10),
            safeguards: Safeguards::default(),
        }
    }

    /// How many access tokens were fetched from a token endpoint or the metadata server.
    pub fn tokens_fetched(&self) -> u64 {
        self.inner.tokens.fetched()
    }
}

impl SecretManagerBuilder {
    /// The builder `from_env` uses, to change some settings before building.
    pub fn from_env() -> Result<Self, ProviderError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut builder = SecretManagerProvider::builder();
        if let Some(endpoint) = var("GCP_SECRET_MANAGER_ENDPOINT") {
            builder = builder.endpoint(endpoint);
        }
        if let Some(token) = var("GOOGLE_OAUTH_ACCESS_TOKEN") {
            builder = builder.access_token(token);
        } else if let Some(file) = var("GOOGLE_APPLICATION_CREDENTIALS") {
            builder = builder.service_account_file(file)?;
        } else {
            let host = var("GCE_METADATA_HOST").unwrap_or_else(|| METADATA_HOST.to_owned());
            builder = builder.metadata_server(format!("http://{host}"));
        }
        if let Some(project) = var("GOOGLE_CLOUD_PROJECT") {
            builder = builder.project(project);
        }
        Ok(builder)
    }

    /// Another endpoint (an emulator, a private endpoint); `https://secretmanager.googleapis.com`
    /// by default.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The project of short secret names.
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// A fixed access token (never refreshed).
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::Static(Secret::new(token.into())));
        self
    }

    /// A service-account key file; its `project_id` becomes the default project unless one
    /// is set.
    pub fn service_account_file(self, path: impl AsRef<Path>) -> Result<Self, ProviderError> {
        let path = path.as_ref();
        let content = Zeroizing::new(std::fs::read(path).map_err(|e| {
            ProviderError::new(
                ProviderErrorKind::Invalid,
                format!(
                    "cannot read the GCP credentials file {}: {e}",
                    path.display()
                ),
            )
        })?);
        self.service_account_json(&content, &path.display().to_string())
    }

    /// A service-account key given as the file's JSON; `shown` names it in errors.
    pub fn service_account_json(
        mut self,
        content: &[u8],
        shown: &str,
    ) -> Result<Self, ProviderError> {
        let account = ServiceAccount::from_json(content, shown)?;
        if self.project.is_none() {
            self.project = account.project_id.clone();
        }
        self.credentials = Some(Credentials::ServiceAccount(Box::new(account)));
        Ok(self)
    }

    /// Tokens from the metadata server at `base_url` (`http://metadata.google.internal`).
    pub fn metadata_server(mut self, base_url: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::Metadata(base_url.into()));
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

    /// Builds the provider; no request is made until the first secret is read.
    pub fn build(self) -> Result<SecretManagerProvider, ProviderError> {
        self.safeguards.check()?;
        let credentials = self
            .credentials
            .unwrap_or_else(|| Credentials::Metadata(format!("http://{METADATA_HOST}")));
        let http = oauth::client(self.timeout)?;
        let store = SecretManagerStore {
            http,
            endpoint: self.endpoint,
            project: self.project,
            tokens: Tokens::new(credentials),
        };
        Ok(CachedProvider::new(store, self.safeguards))
    }
}

impl SecretStore for SecretManagerStore {
    fn scheme(&self) -> &str {
        "gcp-sm"
    }

    async fn read(&self, path: &str) -> Result<SecretData, ProviderError> {
        let locator = Locator::parse(path, self.project.as_deref())?;
        let answer = self
            .get(&format!("{}:access", locator.resource()), path)
            .await?;
        let payload = answer.get("payload");
        let encoded = payload
            .and_then(|p| p.get("data"))
            .and_then(|d| d.as_str())
            .unwrap_or_default();
        let bytes = Zeroizing::new(
            STANDARD
                .decode(encoded)
                .map_err(|_| invalid_answer(path, "its payload is not base64"))?,
        );
        let expected = payload.and_then(|p| p.get("dataCrc32c")).and_then(|c| {
            // An int64 in JSON is a string in Google's APIs; accept a number too.
            c.as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .or_else(|| c.as_u64())
        });
        if let Some(expected) = expected
            && u64::from(crc32c::checksum(&bytes)) != expected
        {
            return Err(invalid_answer(
                path,
                "its payload does not match its dataCrc32c checksum (damaged on the way)",
            ));
        }
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => STANDARD.encode(&bytes),
        };
        let data = SecretData::text(text);
        Ok(match version_number(&answer) {
            Some(version) => data.with_version(version),
            None => data,
        })
    }

    async fn version(&self, path: &str) -> Result<Option<String>, ProviderError> {
        let locator = Locator::parse(path, self.project.as_deref())?;
        let answer = self.get(&locator.resource(), path).await?;
        Ok(version_number(&answer).map(str::to_owned))
    }
}

impl SecretManagerStore {
    /// GET `/v1/<resource>` with a bearer token; one retry with a new token after a 401.
    /// `shown` is the reference path, for messages.
    async fn get(&self, resource: &str, shown: &str) -> Result<body::WipedJson, ProviderError> {
        let url = format!("{}/v1/{resource}", self.endpoint);
        let mut retried = false;
        loop {
            let token = self.tokens.current(&self.http).await?;
            let response = self
                .http
                .get(&url)
                .bearer_auth(token.as_str())
                .send()
                .await
                .map_err(|e| {
                    ProviderError::new(
                        ProviderErrorKind::Unavailable,
                        format!(
                            "cannot reach GCP Secret Manager at {} for `{shown}`: {}",
                            self.endpoint,
                            oauth::no_answer(&e)
                        ),
                    )
                })?;
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && !retried && self.tokens.rejected(&token).await
            {
                retried = true;
                continue;
            }
            let what = format!("GCP Secret Manager's answer for `{shown}`");
            let bytes = body::read_capped(response, MAX_RESPONSE_BYTES, &what).await?;
            let answer = body::parse(&bytes);
            if !status.is_success() {
                return Err(status_error(status, answer.as_deref(), shown));
            }
            return answer.ok_or_else(|| invalid_answer(shown, "it is not JSON"));
        }
    }
}

/// The version number at the end of a version's `name`.
fn version_number(answer: &serde_json::Value) -> Option<&str> {
    answer
        .get("name")
        .and_then(|n| n.as_str())
        .and_then(|name| name.rsplit_once("/versions/"))
        .map(|(_, version)| version)
}

fn invalid_answer(shown: &str, why: &str) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::Invalid,
        format!("GCP Secret Manager's answer for `{shown}` is refused: {why}"),
    )
}

/// An error answer as a [`ProviderError`], named by the status word Google puts in its
/// error body (`NOT_FOUND`, `PERMISSION_DENIED`…), never by other body text.
fn status_error(
    status: StatusCode,
    answer: Option<&serde_json::Value>,
    shown: &str,
) -> ProviderError {
    let code = status.as_u16();
    let word = answer
        .and_then(|a| a.pointer("/error/status"))
        .and_then(|s| s.as_str())
        .filter(|s| {
            !s.is_empty() && s.len() <= 40 && s.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        });
    let label = match word {
        Some(word) => format!("HTTP {code} {word}"),
        None => format!("HTTP {code}"),
    };
    let (kind, what) = match code {
        404 => (
            ProviderErrorKind::NotFound,
            "no such secret or version".to_owned(),
        ),
        401 | 403 => (
            ProviderErrorKind::Denied,
            "access denied: check the credentials and their roles \
             (roles/secretmanager.secretAccessor)"
                .to_owned(),
        ),
        429 => (ProviderErrorKind::Unavailable, "rate-limited".to_owned()),
        500..=599 => (
            ProviderErrorKind::Unavailable,
            "the service failed".to_owned(),
        ),
        _ if word == Some("FAILED_PRECONDITION") => (
            ProviderErrorKind::NotFound,
            "the version is disabled or destroyed".to_owned(),
        ),
        _ => (
            ProviderErrorKind::Invalid,
            "the request was refused".to_owned(),
        ),
    };
    ProviderError::new(
        kind,
        format!("GCP Secret Manager secret `{shown}`: {what} ({label})"),
    )
}
