//! What the cloud REST stores (GCP, Azure) share: their HTTP client, and bearer tokens: the
//! current token of one provider, kept until shortly before it expires and fetched again
//! then (one fetch however many requests wait) or at once when the API rejects it; and the
//! OAuth token answer (`access_token`, `expires_in`) read from any token endpoint.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use config_runtime::{ProviderError, ProviderErrorKind, Secret};
use tokio::sync::Mutex;
use zeroize::Zeroizing;

use crate::body;

/// Token answers are small; a larger one is refused.
const MAX_TOKEN_ANSWER: usize = 64 << 10;
/// A token is replaced this long before it expires (or at half its life when shorter), so
/// no request goes out with a token about to lapse.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// A token an endpoint handed out, and how long it lives.
pub(crate) struct FetchedToken {
    value: Secret<String>,
    lifetime: Duration,
}

struct Token {
    value: Secret<String>,
    /// When to fetch a new one; `None` for a fixed token.
    refresh_at: Option<Instant>,
}

/// Where a cell's tokens come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Supply {
    /// One token given by the user, never refreshed.
    Fixed,
    /// Fetched from an endpoint when needed.
    Fetched,
}

/// The current token of one provider.
pub(crate) struct TokenCell {
    supply: Supply,
    current: Mutex<Option<Token>>,
    fetched: AtomicU64,
}

impl std::fmt::Debug for TokenCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCell")
            .field("supply", &self.supply)
            .finish_non_exhaustive()
    }
}

impl TokenCell {
    /// A cell holding `token` for good.
    pub(crate) fn fixed(token: Secret<String>) -> Self {
        TokenCell {
            supply: Supply::Fixed,
            current: Mutex::new(Some(Token {
                value: token,
                refresh_at: None,
            })),
            fetched: AtomicU64::new(0),
        }
    }

    /// An empty cell, filled by the first [`current`](Self::current).
    pub(crate) fn fetched_when_needed() -> Self {
        TokenCell {
            supply: Supply::Fetched,
            current: Mutex::new(None),
            fetched: AtomicU64::new(0),
        }
    }

    /// How many tokens were fetched so far.
    pub(crate) fn fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }

    /// A usable token: `fetch` runs first when there is none or it is due. The copy is
    /// wiped when the request that needed it is done.
    pub(crate) async fn current<Fut>(
        &self,
        fetch: impl FnOnce() -> Fut,
    ) -> Result<Zeroizing<String>, ProviderError>
    where
        Fut: Future<Output = Result<FetchedToken, ProviderError>>,
    {
        let mut current = self.current.lock().await;
        let due = current
            .as_ref()
            .is_none_or(|t| t.refresh_at.is_some_and(|at| Instant::now() >= at));
        if due && self.supply == Supply::Fetched {
            let fetched = fetch().await?;
            *current = Some(Token {
                value: fetched.value,
                refresh_at: Some(Instant::now() + refresh_after(fetched.lifetime)),
            });
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
    /// whether a new one can be fetched (not for a fixed token).
    pub(crate) async fn rejected(&self, token: &str) -> bool {
        if self.supply == Supply::Fixed {
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
}

/// The HTTP client of a cloud store: no redirects (the bearer token would follow a
/// `Location` anywhere), `timeout` per request, connections given at most 3 s.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, ProviderError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(3)))
        .build()
        .map_err(|e| {
            ProviderError::new(
                ProviderErrorKind::Invalid,
                format!("cannot build the HTTP client: {e}"),
            )
        })
}

/// How a request that got no answer failed, in words.
pub(crate) fn no_answer(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else {
        "connection failed"
    }
}

/// Sends a token request to `endpoint` (named in errors, never the body) and reads the
/// OAuth answer. `expires_in` may be a number or, as Azure's managed identity sends it, a
/// string; without it the token is taken to live an hour.
pub(crate) async fn exchange(
    request: reqwest::RequestBuilder,
    endpoint: &str,
) -> Result<FetchedToken, ProviderError> {
    let failed =
        |kind, why: &str| ProviderError::new(kind, format!("token endpoint {endpoint}: {why}"));
    let response = request
        .send()
        .await
        .map_err(|e| failed(ProviderErrorKind::Unavailable, no_answer(&e)))?;
    let status = response.status();
    if !status.is_success() {
        let kind = match status.as_u16() {
            400 | 401 | 403 => ProviderErrorKind::Denied,
            429 | 500..=599 => ProviderErrorKind::Unavailable,
            _ => ProviderErrorKind::Invalid,
        };
        return Err(failed(
            kind,
            &format!("refused the credentials (HTTP {})", status.as_u16()),
        ));
    }
    let answer = body::read_capped(response, MAX_TOKEN_ANSWER, endpoint).await?;
    let answer = body::parse(&answer)
        .ok_or_else(|| failed(ProviderErrorKind::Invalid, "the answer is not JSON"))?;
    let value = answer
        .get("access_token")
        .and_then(|v| v.as_str())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            failed(
                ProviderErrorKind::Invalid,
                "the answer has no `access_token`",
            )
        })?;
    let expires_in = answer.get("expires_in").and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    });
    Ok(FetchedToken {
        value: Secret::new(value.to_owned()),
        lifetime: Duration::from_secs(expires_in.unwrap_or(3600)),
    })
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

    #[tokio::test]
    async fn a_fixed_token_is_never_fetched_nor_shown() {
        let cell = TokenCell::fixed(Secret::new("tok-canary".to_owned()));
        let token = cell
            .current(|| async { unreachable!("a fixed token is not fetched") })
            .await
            .unwrap();
        assert_eq!(token.as_str(), "tok-canary");
        assert!(!cell.rejected("tok-canary").await);
        assert!(!format!("{cell:?}").contains("tok-canary"));
    }
}
