//! Where Google access tokens come from: a static one, a service-account key (a signed
//! assertion exchanged at its `token_uri`) or the metadata server. The shared
//! [`TokenCell`](crate::oauth::TokenCell) keeps them and decides when to fetch.

use std::time::SystemTime;

use config_runtime::{ProviderError, Secret};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use zeroize::Zeroizing;

use super::service_account::ServiceAccount;
use crate::oauth::{self, FetchedToken, TokenCell};

/// Where access tokens come from.
pub(super) enum Credentials {
    /// A token given as is (`GOOGLE_OAUTH_ACCESS_TOKEN`); never refreshed.
    Static(Secret<String>),
    /// A service-account key: signed assertions exchanged at its `token_uri`.
    ServiceAccount(Box<ServiceAccount>),
    /// The metadata server of the VM or container, at this base URL.
    Metadata(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Static(_) => f.write_str("Static([REDACTED])"),
            Credentials::ServiceAccount(account) => account.fmt(f),
            Credentials::Metadata(base) => f.debug_tuple("Metadata").field(base).finish(),
        }
    }
}

/// The credentials and the current token of one provider.
#[derive(Debug)]
pub(super) struct Tokens {
    credentials: Credentials,
    cell: TokenCell,
}

impl Tokens {
    pub(super) fn new(credentials: Credentials) -> Self {
        let cell = match &credentials {
            Credentials::Static(token) => TokenCell::fixed(token.clone()),
            _ => TokenCell::fetched_when_needed(),
        };
        Tokens { credentials, cell }
    }

    /// How many tokens were fetched from an endpoint so far.
    pub(super) fn fetched(&self) -> u64 {
        self.cell.fetched()
    }

    /// A usable token (see [`TokenCell::current`]).
    pub(super) async fn current(
        &self,
        http: &reqwest::Client,
    ) -> Result<Zeroizing<String>, ProviderError> {
        self.cell.current(|| self.fetch(http)).await
    }

    /// The API refused `token` (see [`TokenCell::rejected`]).
    pub(super) async fn rejected(&self, token: &str) -> bool {
        self.cell.rejected(token).await
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<FetchedToken, ProviderError> {
        match &self.credentials {
            // Never asked: a fixed cell does not fetch.
            Credentials::Static(_) => unreachable!("a static token is not fetched"),
            Credentials::ServiceAccount(account) => {
                let assertion = account.assertion(SystemTime::now())?;
                let form = Zeroizing::new(format!(
                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={}",
                    assertion.as_str()
                ));
                let request = http
                    .post(&account.token_uri)
                    .header(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/x-www-form-urlencoded"),
                    )
                    .body(form.to_string());
                oauth::exchange(request, &account.token_uri).await
            }
            Credentials::Metadata(base) => {
                let url = format!(
                    "{}/computeMetadata/v1/instance/service-accounts/default/token",
                    base.trim_end_matches('/')
                );
                let request = http.get(&url).header("Metadata-Flavor", "Google");
                oauth::exchange(request, &url).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_a_static_token() {
        let tokens = Tokens::new(Credentials::Static(Secret::new("tok-canary".to_owned())));
        assert!(!format!("{tokens:?}").contains("tok-canary"));
    }
}
