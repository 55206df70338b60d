//! Access tokens for Google APIs: a static one, or one obtained from a service-account key
//! or the metadata server, kept until shortly before it expires and fetched again then (or
//! at once when the API rejects it).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use config_runtime::{ProviderError, ProviderErrorKind, Secret};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tokio::sync::Mutex;
use zeroize::Zeroizing;

use super::service_account::ServiceAccount;
use crate::body;

/// Token answers are small; a larger one is refused.
const MAX_TOKEN_ANSWER: usize = 64 << 10;
/// A token is replaced this long before it expires (or at half its life when shorter), so
/// no request goes out with a token about to lapse.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

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

struct Token {
    value: Secret<String>,
    /// When to fetch a new one; `None` for a static token.
    refresh_at: Option<Instant>,
}

/// The current token of one provider, shared by all its requests.
#[derive(Debug)]
pub(super) struct Tokens {
    credentials: Credentials,
    current: Mutex<Option<Token>>,
    fetched: AtomicU64,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([REDACTED])")
    }
}

impl Tokens {
    pub(super) fn new(credentials: Credentials) -> Self {
        let current = match &credentials {
            Credentials::Static(token) => Some(Token {
                value: token.clone(),
                refresh_at: None,
            }),
            _ => None,
        };
        Tokens {
            credentials,
            current: Mutex::new(current),
            fetched: AtomicU64::new(0),
        }
    }

    /// How many tokens were fetched from an endpoint so far.
    pub(super) fn fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }

    /// A usable token, fetched first when there is none or it is due; one fetch however
    /// many requests wait. The copy is wiped when the request is done.
    pub(super) async fn current(
        &self,
        http: &reqwest::Client,
    ) -> Result<Zeroizing<String>, ProviderError> {
        let mut current = self.current.lock().await;
        let due = current
            .as_ref()
            .is_none_or(|t| t.refresh_at.is_some_and(|at| Instant::now() >= at));
        if due && !matches!(self.credentials, Credentials::Static(_)) {
            *current = Some(self.fetch(http).await?);
            self.fetched.fetch_add(1, Ordering::Relaxed);
        }
        Ok(Zeroizing::new(
            current
                .as_ref()
                .map(|t| t.value.expose_secret().clone())
                .unwrap_or_default(),
        ))
    }

    /// The API refused `token`: forget it, so the next request fetches a new one. Returns
    /// whether a new one can be fetched (not for a static token).
    pub(super) async fn rejected(&self, token: &str) -> bool {
        if matches!(self.credentials, Credentials::Static(_)) {
            return false;
        }
        let mut current = self.current.lock().await;
        if current
            .as_ref()
            .is_some_and(|t| t.value.expose_secret() == token)
        {
            *current = None;
        }
        true
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<Token, ProviderError> {
        let (request, endpoint) = match &self.credentials {
            Credentials::Static(token) => {
                return Ok(Token {
                    value: token.clone(),
                    refresh_at: None,
                });
            }
            Credentials::ServiceAccount(account) => {
                let assertion = account.assertion(SystemTime::now())?;
                let form = Zeroizing::new(format!(
                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={}",
                    assertion.as_str()
                ));
                (
                    http.post(&account.token_uri)
                        .header(
                            CONTENT_TYPE,
                            HeaderValue::from_static("application/x-www-form-urlencoded"),
                        )
                        .body(form.to_string()),
                    account.token_uri.clone(),
                )
            }
            Credentials::Metadata(base) => {
                let url = format!(
                    "{}/computeMetadata/v1/instance/service-accounts/default/token",
                    base.trim_end_matches('/')
                );
                (
                    http.get(&url).header("Metadata-Flavor", "Google"),
                    url.clone(),
                )
            }
        };
        let failed = |kind, why: String| {
            ProviderError::new(kind, format!("GCP token endpoint {endpoint}: {why}"))
        };
        let response = request.send().await.map_err(|e| {
            failed(
                ProviderErrorKind::Unavailable,
                if e.is_timeout() {
                    "timed out".to_owned()
                } else {
                    "connection failed".to_owned()
                },
            )
        })?;
        let status = response.status();
        if !status.is_success() {
            let kind = match status.as_u16() {
                400 | 401 | 403 => ProviderErrorKind::Denied,
                429 | 500..=599 => ProviderErrorKind::Unavailable,
                _ => ProviderErrorKind::Invalid,
            };
            return Err(failed(
                kind,
                format!("refused the credentials (HTTP {})", status.as_u16()),
            ));
        }
        let answer = body::read_capped(response, MAX_TOKEN_ANSWER, &endpoint).await?;
        let answer = body::parse(&answer).ok_or_else(|| {
            failed(
                ProviderErrorKind::Invalid,
                "the answer is not JSON".to_owned(),
            )
        })?;
        let value = answer
            .get("access_token")
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                failed(
                    ProviderErrorKind::Invalid,
                    "the answer has no `access_token`".to_owned(),
                )
            })?;
        let lifetime = Duration::from_secs(
            answer
                .get("expires_in")
                .and_then(|v| v.as_u64())
                .unwrap_or(3600),
        );
        Ok(Token {
            value: Secret::new(value.to_owned()),
            refresh_at: Some(Instant::now() + refresh_after(lifetime)),
        })
    }
}

/// How long a token of `lifetime` is used before a new one is fetched.
fn refresh_after(lifetime: Duration) -> Duration {
    lifetime.saturating_sub(REFRESH_MARGIN.min(lifetime / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_replaced_before_they_expire() {
        assert_eq!(
            refresh_after(Duration::from_secs(3600)),
            Duration::from_secs(3300)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(60)),
            Duration::from_secs(30)
        );
        assert_eq!(refresh_after(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn debug_hides_a_static_token() {
        let tokens = Tokens::new(Credentials::Static(Secret::new("tok-canary".to_owned())));
        assert!(!format!("{tokens:?}").contains("tok-canary"));
    }
}
