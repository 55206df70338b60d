//! Vault's HTTP API: one `reqwest` client, status codes mapped to [`ProviderError`] kinds,
//! and retries with exponential backoff and jitter for transient failures only (never for
//! 403 or 404). Messages name the path and the status, never a body (it may hold secrets).

use std::time::Duration;

use config_runtime::{ProviderError, ProviderErrorKind};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Attempts per request, the first included.
const ATTEMPTS: u32 = 3;
/// First backoff; doubled each retry, plus up to 50 % jitter.
const BACKOFF: Duration = Duration::from_millis(100);

pub(super) struct Http {
    client: reqwest::Client,
    addr: String,
    namespace: Option<String>,
}

impl Http {
    pub fn new(
        addr: &str,
        namespace: Option<String>,
        timeout: Duration,
        ca_certificates: &[Vec<u8>],
    ) -> Result<Self, ProviderError> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(3)));
        for pem in ca_certificates {
            // A PEM without any certificate would silently trust nothing extra: refuse it.
            let certificates = reqwest::Certificate::from_pem_bundle(pem)
                .ok()
                .filter(|found| !found.is_empty())
                .ok_or_else(|| {
                    ProviderError::new(
                        ProviderErrorKind::Invalid,
                        "the Vault CA certificate is not valid PEM (no certificate found)",
                    )
                })?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let client = builder.build().map_err(|e| {
            ProviderError::new(
                ProviderErrorKind::Invalid,
                format!("cannot build the HTTP client: {e}"),
            )
        })?;
        Ok(Http {
            client,
            addr: addr.trim_end_matches('/').to_owned(),
            namespace,
        })
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// GET `/v1/<api_path>`; `shown` is the secret path for messages.
    pub async fn get(
        &self,
        api_path: &str,
        token: &str,
        shown: &str,
    ) -> Result<Value, ProviderError> {
        self.send(Method::GET, api_path, Some(token), None, shown)
            .await
    }

    /// POST/PUT with a JSON body.
    pub async fn write(
        &self,
        method: Method,
        api_path: &str,
        token: Option<&str>,
        body: &Value,
        shown: &str,
    ) -> Result<Value, ProviderError> {
        self.send(method, api_path, token, Some(body), shown).await
    }

    async fn send(
        &self,
        method: Method,
        api_path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        shown: &str,
    ) -> Result<Value, ProviderError> {
        let url = format!("{}/v1/{}", self.addr, api_path.trim_start_matches('/'));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.client.request(method.clone(), &url);
            if let Some(token) = token {
                request = request.header("X-Vault-Token", token);
            }
            if let Some(namespace) = &self.namespace {
                request = request.header("X-Vault-Namespace", namespace);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        return match status {
                            StatusCode::NO_CONTENT => Ok(Value::Null),
                            _ => response.json().await.map_err(|_| {
                                ProviderError::new(
                                    ProviderErrorKind::Invalid,
                                    format!(
                                        "Vault answered `{shown}` with a body that is not JSON"
                                    ),
                                )
                            }),
                        };
                    }
                    status_error(status, shown)
                }
                Err(e) => ProviderError::new(
                    ProviderErrorKind::Unavailable,
                    format!(
                        "cannot reach Vault at {} for `{shown}`: {}",
                        self.addr,
                        if e.is_timeout() {
                            "timed out"
                        } else {
                            "connection failed"
                        }
                    ),
                ),
            };
            if !outcome.is_transient() || attempt >= ATTEMPTS {
                return Err(outcome);
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
    }
}

fn status_error(status: StatusCode, shown: &str) -> ProviderError {
    let code = status.as_u16();
    match status {
        StatusCode::NOT_FOUND => ProviderError::new(
            ProviderErrorKind::NotFound,
            format!("Vault has no secret at `{shown}` (HTTP 404)"),
        ),
        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => ProviderError::new(
            ProviderErrorKind::Denied,
            format!(
                "Vault denied access to `{shown}` (HTTP {code}): check the token and its policies"
            ),
        ),
        StatusCode::TOO_MANY_REQUESTS => ProviderError::new(
            ProviderErrorKind::Unavailable,
            format!("Vault is rate-limiting requests for `{shown}` (HTTP 429)"),
        ),
        s if s.is_server_error() => ProviderError::new(
            ProviderErrorKind::Unavailable,
            format!("Vault failed to answer for `{shown}` (HTTP {code})"),
        ),
        _ => ProviderError::new(
            ProviderErrorKind::Invalid,
            format!("Vault rejected the request for `{shown}` (HTTP {code})"),
        ),
    }
}

/// Exponential backoff with jitter, so many clients do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF * 2u32.saturating_pow(attempt.saturating_sub(1));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 1000) / 2000.0)
}
