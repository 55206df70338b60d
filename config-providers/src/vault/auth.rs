//! The Vault token: given, or obtained by AppRole login. An AppRole token is renewed
//! (`renew-self`) once two thirds of its lifetime have passed, and replaced by a new login
//! when renewal is refused or the token is rejected.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use config_runtime::{ProviderError, Secret};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use zeroize::Zeroizing;

use super::http::Http;
use super::leases::{renew_after, saturating_from};
use crate::body::WipedJson;

#[derive(Debug)]
pub(super) enum Auth {
    Token(Secret<String>),
    AppRole {
        role_id: String,
        secret_id: Secret<String>,
    },
}

struct Token {
    value: Secret<String>,
    /// When to renew: two thirds into the lease; `None` for tokens that do not expire.
    renew_at: Option<Instant>,
    renewable: bool,
}

pub(super) struct TokenCell {
    auth: Auth,
    current: Mutex<Option<Token>>,
    logins: AtomicU64,
    renewals: AtomicU64,
}

impl TokenCell {
    pub fn new(auth: Auth) -> Self {
        let current = match &auth {
            Auth::Token(token) => Some(Token {
                value: token.clone(),
                renew_at: None,
                renewable: false,
            }),
            Auth::AppRole { .. } => None,
        };
        TokenCell {
            auth,
            current: Mutex::new(current),
            logins: AtomicU64::new(0),
            renewals: AtomicU64::new(0),
        }
    }

    /// (logins, renewals) so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.logins.load(Ordering::Relaxed),
            self.renewals.load(Ordering::Relaxed),
        )
    }

    /// Whether a new login can replace a rejected token.
    pub fn can_login(&self) -> bool {
        matches!(self.auth, Auth::AppRole { .. })
    }

    /// A usable token: logs in first, or renews when two thirds of the lease have passed.
    /// The copy is wiped when the request that needed it is done.
    pub async fn current(&self, http: &Http) -> Result<Zeroizing<String>, ProviderError> {
        let mut current = self.current.lock().await;
        let due = current
            .as_ref()
            .map(|t| t.renew_at.is_some_and(|at| Instant::now() >= at));
        match due {
            Some(false) => {}
            Some(true) => {
                let renewed = match current.as_ref() {
                    Some(token) if token.renewable => renew(http, token).await.ok(),
                    _ => None,
                };
                if renewed.is_some() {
                    self.renewals.fetch_add(1, Ordering::Relaxed);
                }
                *current = Some(match renewed {
                    Some(token) => token,
                    None => self.login(http).await?,
                });
            }
            None => *current = Some(self.login(http).await?),
        }
        Ok(Zeroizing::new(
            current
                .as_ref()
                .map(|t| t.value.expose_secret().clone())
                .unwrap_or_default(),
        ))
    }

    /// Replaces the token with a fresh login (after the server rejected it).
    pub async fn relogin(&self, http: &Http) -> Result<Zeroizing<String>, ProviderError> {
        let token = self.login(http).await?;
        let value = Zeroizing::new(token.value.expose_secret().clone());
        *self.current.lock().await = Some(token);
        Ok(value)
    }

    async fn login(&self, http: &Http) -> Result<Token, ProviderError> {
        match &self.auth {
            Auth::Token(token) => Ok(Token {
                value: token.clone(),
                renew_at: None,
                renewable: false,
            }),
            Auth::AppRole { role_id, secret_id } => {
                // The body holds a copy of the secret id: wiped when the request is done.
                let body = WipedJson(
                    json!({ "role_id": role_id, "secret_id": secret_id.expose_secret() }),
                );
                let answer = http
                    .write(
                        Method::POST,
                        "auth/approle/login",
                        None,
                        &body,
                        "auth/approle/login",
                    )
                    .await?;
                tracing::debug!(target: "config_providers::vault", "logged in with AppRole");
                self.logins.fetch_add(1, Ordering::Relaxed);
                Ok(token_from(&answer))
            }
        }
    }
}

async fn renew(http: &Http, token: &Token) -> Result<Token, ProviderError> {
    let answer = http
        .write(
            Method::POST,
            "auth/token/renew-self",
            Some(token.value.expose_secret().as_str()),
            &json!({}),
            "auth/token/renew-self",
        )
        .await?;
    tracing::debug!(target: "config_providers::vault", "renewed the token");
    Ok(token_from(&answer))
}

/// The token of a login or renewal answer; any `lease_duration` (a hostile one included)
/// gives a renewal time without overflow.
fn token_from(answer: &Value) -> Token {
    let auth = &answer["auth"];
    let lease = auth["lease_duration"].as_u64().unwrap_or(0);
    Token {
        value: Secret::new(auth["client_token"].as_str().unwrap_or_default().to_owned()),
        renew_at: (lease > 0)
            .then(|| saturating_from(Instant::now(), renew_after(Duration::from_secs(lease)))),
        renewable: auth["renewable"].as_bool().unwrap_or(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lease * 2 / 3` once overflowed (a panic inside every read) for a huge lease.
    #[test]
    fn a_hostile_token_lease_does_not_overflow() {
        for lease in [u64::MAX, u64::MAX / 2 + 1, 1] {
            let answer = json!({"auth": {"client_token": "t", "lease_duration": lease}});
            let token = token_from(&answer);
            assert!(token.renew_at.is_some(), "{lease}");
        }
        assert!(
            token_from(&json!({"auth": {"client_token": "t"}}))
                .renew_at
                .is_none()
        );
    }
}
