//! Where Azure access tokens come from: a static one (`AZURE_ACCESS_TOKEN`), a client secret
//! or a federated token file (workload identity), both exchanged at the tenant's token
//! endpoint under `AZURE_AUTHORITY_HOST`, or managed identity (IMDS, or App Service's
//! `IDENTITY_ENDPOINT`). The shared [`TokenCell`] keeps them; the scope is the one the
//! vault's challenge names.

use std::path::PathBuf;
use std::sync::Mutex;

use config_runtime::{ProviderError, ProviderErrorKind, Secret};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use zeroize::Zeroizing;

use crate::oauth::{self, FetchedToken, TokenCell};

/// The scope of Key Vault tokens until a challenge names another.
pub(super) const DEFAULT_SCOPE: &str = "https://vault.azure.net/.default";

/// An app registration: tenant and client id, at an authority host.
#[derive(Debug, Clone)]
pub(super) struct App {
    pub(super) authority: String,
    pub(super) tenant: String,
    pub(super) client_id: String,
}

/// Where access tokens come from.
pub(super) enum Credentials {
    /// A token given as is; never refreshed.
    Static(Secret<String>),
    /// A client secret of an app registration.
    ClientSecret { app: App, secret: Secret<String> },
    /// A federated token in a file (Kubernetes workload identity), read for each exchange
    /// since it rotates.
    WorkloadIdentity { app: App, token_file: PathBuf },
    /// Managed identity at `endpoint` (IMDS, or App Service with its header secret).
    ManagedIdentity {
        endpoint: String,
        header: Option<Secret<String>>,
        client_id: Option<String>,
    },
}

impl std::fmt::Debug for Credentials {
    // Which kind and which identity: never a secret or token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Static(_) => f.write_str("Static([REDACTED])"),
            Credentials::ClientSecret { app, .. } => f
                .debug_struct("ClientSecret")
                .field("app", app)
                .finish_non_exhaustive(),
            Credentials::WorkloadIdentity { app, token_file } => f
                .debug_struct("WorkloadIdentity")
                .field("app", app)
                .field("token_file", token_file)
                .finish(),
            Credentials::ManagedIdentity {
                endpoint,
                client_id,
                ..
            } => f
                .debug_struct("ManagedIdentity")
                .field("endpoint", endpoint)
                .field("client_id", client_id)
                .finish_non_exhaustive(),
        }
    }
}

/// The credentials, the scope and the current token of one provider.
#[derive(Debug)]
pub(super) struct Tokens {
    credentials: Credentials,
    /// The scope the vault's challenge named; `None` until the first challenge.
    scope: Mutex<Option<String>>,
    cell: TokenCell,
}

impl Tokens {
    pub(super) fn new(credentials: Credentials) -> Self {
        let cell = match &credentials {
            Credentials::Static(token) => TokenCell::fixed(token.clone()),
            _ => TokenCell::fetched_when_needed(),
        };
        Tokens {
            credentials,
            scope: Mutex::new(None),
            cell,
        }
    }

    /// How many tokens were fetched so far.
    pub(super) fn fetched(&self) -> u64 {
        self.cell.fetched()
    }

    /// A usable token for the current scope.
    pub(super) async fn current(
        &self,
        http: &reqwest::Client,
    ) -> Result<Zeroizing<String>, ProviderError> {
        self.cell.current(|| self.fetch(http)).await
    }

    /// Whether the first request goes without a token, to learn the scope from the vault's
    /// challenge (as Azure's own clients do): for fetched tokens, until a challenge came.
    pub(super) fn awaiting_challenge(&self) -> bool {
        !matches!(self.credentials, Credentials::Static(_))
            && self
                .scope
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_none()
    }

    /// The vault refused `token` (or a request without one) and challenged for `scope`: the
    /// next token is asked for that scope. Returns whether a new token can be fetched (not
    /// for a static one).
    pub(super) async fn challenged(&self, token: Option<&str>, scope: &str) -> bool {
        *self.scope.lock().unwrap_or_else(|p| p.into_inner()) = Some(scope.to_owned());
        match token {
            Some(token) => self.cell.rejected(token).await,
            None => true,
        }
    }

    fn scope(&self) -> String {
        self.scope
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| DEFAULT_SCOPE.to_owned())
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<FetchedToken, ProviderError> {
        let scope = self.scope();
        match &self.credentials {
            Credentials::Static(_) => unreachable!("a static token is not fetched"),
            Credentials::ClientSecret { app, secret } => {
                let form = Zeroizing::new(
                    url::form_urlencoded::Serializer::new(String::new())
                        .append_pair("grant_type", "client_credentials")
                        .append_pair("client_id", &app.client_id)
                        .append_pair("client_secret", secret.expose_secret())
                        .append_pair("scope", &scope)
                        .finish(),
                );
                post_form(http, &token_endpoint(app), &form).await
            }
            Credentials::WorkloadIdentity { app, token_file } => {
                let assertion =
                    Zeroizing::new(std::fs::read_to_string(token_file).map_err(|e| {
                        ProviderError::new(
                            ProviderErrorKind::Denied,
                            format!(
                                "cannot read the federated token file {}: {e}",
                                token_file.display()
                            ),
                        )
                    })?);
                let form = Zeroizing::new(
                    url::form_urlencoded::Serializer::new(String::new())
                        .append_pair("grant_type", "client_credentials")
                        .append_pair("client_id", &app.client_id)
                        .append_pair(
                            "client_assertion_type",
                            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        )
                        .append_pair("client_assertion", assertion.trim())
                        .append_pair("scope", &scope)
                        .finish(),
                );
                post_form(http, &token_endpoint(app), &form).await
            }
            Credentials::ManagedIdentity {
                endpoint,
                header,
                client_id,
            } => {
                // Managed identity asks for a resource, not a scope.
                let resource = scope.trim_end_matches("/.default");
                let api_version = if header.is_some() {
                    "2019-08-01"
                } else {
                    "2018-02-01"
                };
                let mut url = url::Url::parse(endpoint).map_err(|_| {
                    ProviderError::new(
                        ProviderErrorKind::Invalid,
                        format!("the managed identity endpoint `{endpoint}` is not a URL"),
                    )
                })?;
                url.query_pairs_mut()
                    .append_pair("api-version", api_version)
                    .append_pair("resource", resource);
                if let Some(id) = client_id {
                    url.query_pairs_mut().append_pair("client_id", id);
                }
                let mut request = http.get(url.as_str());
                request = match header {
                    Some(secret) => {
                        let mut value =
                            HeaderValue::from_str(secret.expose_secret()).map_err(|_| {
                                ProviderError::new(
                                    ProviderErrorKind::Invalid,
                                    "IDENTITY_HEADER holds characters a header cannot carry",
                                )
                            })?;
                        value.set_sensitive(true);
                        request.header("X-IDENTITY-HEADER", value)
                    }
                    None => request.header("Metadata", "true"),
                };
                oauth::exchange(request, endpoint).await
            }
        }
    }
}

/// `{authority}/{tenant}/oauth2/v2.0/token`.
fn token_endpoint(app: &App) -> String {
    format!(
        "{}/{}/oauth2/v2.0/token",
        app.authority.trim_end_matches('/'),
        app.tenant
    )
}

async fn post_form(
    http: &reqwest::Client,
    endpoint: &str,
    form: &str,
) -> Result<FetchedToken, ProviderError> {
    let request = http
        .post(endpoint)
        .header(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        )
        .body(form.to_owned());
    oauth::exchange(request, endpoint).await
}
