//! Vault's HTTP API: one `reqwest` client, status codes mapped to [`ProviderError`] kinds,
//! and retries with exponential backoff and jitter for transient failures only (never for
//! 403 or 404). Messages name the path and the status, never a body (it may hold secrets).
//!
//! No redirect is followed: the token header and an AppRole login body would go wherever a
//! `Location` points. Answers are read up to a size cap into buffers wiped on drop.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use config_runtime::{ProviderError, ProviderErrorKind};
use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::body::{self, WipedJson};

/// Attempts per request, the first included.
const ATTEMPTS: u32 = 3;
/// First backoff; doubled each retry, plus up to 50 % jitter.
const BACKOFF: Duration = Duration::from_millis(100);

/// Default cap on one answer: far above any real secret or mount table.
pub(super) const MAX_RESPONSE_BYTES: usize = 4 << 20;

pub(super) struct Http {
    client: reqwest::Client,
    addr: String,
    namespace: Option<String>,
    max_response_bytes: usize,
}

/// Whether `addr` sends the token in clear text over a network: plain `http` to a host that
/// is not this machine.
pub(super) fn cleartext_over_network(addr: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(addr) else {
        return false;
    };
    if url.scheme() != "http" {
        return false;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => !ip.is_loopback(),
        Err(_) => !bare.eq_ignore_ascii_case("localhost"),
    }
}

/// Warns once per address and process that the token travels in clear text.
fn warn_cleartext(addr: &str) {
    static WARNED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    if !cleartext_over_network(addr) {
        return;
    }
    let first = WARNED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(addr.to_owned());
    if first {
        tracing::warn!(
            target: "config_providers::vault",
            addr,
            "the Vault address is plain http to another host: the token and every secret \
             cross the network unencrypted; use https"
        );
    }
}

impl Http {
    pub fn new(
        addr: &str,
        namespace: Option<String>,
        timeout: Duration,
        ca_certificates: &[Vec<u8>],
        client_identity: Option<&[u8]>,
        max_response_bytes: usize,
    ) -> Result<Self, ProviderError> {
        warn_cleartext(addr);
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
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
        if let Some(pem) = client_identity {
            let identity = reqwest::Identity::from_pem(pem).map_err(|_| {
                ProviderError::new(
                    ProviderErrorKind::Invalid,
                    "the Vault client certificate is not a PEM certificate followed by its \
                     private key (PKCS#8, SEC1 or RSA)",
                )
            })?;
            builder = builder.identity(identity);
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
            max_response_bytes,
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
    ) -> Result<WipedJson, ProviderError> {
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
    ) -> Result<WipedJson, ProviderError> {
        self.send(method, api_path, token, Some(body), shown).await
    }

    async fn send(
        &self,
        method: Method,
        api_path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        shown: &str,
    ) -> Result<WipedJson, ProviderError> {
        let url = format!("{}/v1/{}", self.addr, api_path.trim_start_matches('/'));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.client.request(method.clone(), &url);
            if let Some(token) = token {
                let mut value = HeaderValue::from_str(token).map_err(|_| {
                    ProviderError::new(
                        ProviderErrorKind::Invalid,
                        "the Vault token holds characters a header cannot carry",
                    )
                })?;
                value.set_sensitive(true);
                request = request.header("X-Vault-Token", value);
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
                        if status == StatusCode::NO_CONTENT {
                            return Ok(WipedJson::default());
                        }
                        let what = format!("Vault's answer from {} for `{shown}`", self.addr);
                        let bytes =
                            body::read_capped(response, self.max_response_bytes, &what).await?;
                        return body::parse(&bytes).ok_or_else(|| {
                            ProviderError::new(
                                ProviderErrorKind::Invalid,
                                format!("Vault answered `{shown}` with a body that is not JSON"),
                            )
                        });
                    }
                    status_error(status, shown, &self.addr)
                }
                Err(e) => match tls_refusal(&e) {
                    // A handshake refused for its certificates will not pass on a retry.
                    Some(why) => {
                        return Err(ProviderError::new(
                            ProviderErrorKind::Denied,
                            format!(
                                "Vault at {} refused the TLS connection for `{shown}`: {why}",
                                self.addr
                            ),
                        ));
                    }
                    None => ProviderError::new(
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
                },
            };
            if !outcome.is_transient() || attempt >= ATTEMPTS {
                return Err(outcome);
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
    }
}

fn status_error(status: StatusCode, shown: &str, addr: &str) -> ProviderError {
    let code = status.as_u16();
    match status {
        s if s.is_redirection() => ProviderError::new(
            ProviderErrorKind::Invalid,
            format!(
                "Vault at {addr} answered `{shown}` with a redirect (HTTP {code}), which is not \
                 followed: it would carry the token elsewhere. Point the address at the node \
                 that answers"
            ),
        ),
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

/// Why the server refused the TLS handshake over client certificates, when it did: it asked
/// for one and got none, or refused the one given.
/// The TLS library's alert names are the detail (they never hold data).
fn tls_refusal(error: &reqwest::Error) -> Option<String> {
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = source {
        chain.push(current.to_string());
        source = current.source();
    }
    let detail = chain.last()?.clone();
    let lowered = detail.to_ascii_lowercase();
    if lowered.contains("certificaterequired") || lowered.contains("certificate required") {
        Some(format!(
            "it requires a client certificate ({detail}); set VAULT_CLIENT_CERT and \
             VAULT_CLIENT_KEY"
        ))
    } else if lowered.contains("received fatal alert") {
        // The server ended the handshake (UnknownCA, BadCertificate…): the client side
        // reports its own certificate problems differently.
        Some(format!(
            "it rejected the handshake ({detail}); check that the client certificate is \
             signed by a CA the listener trusts"
        ))
    } else {
        None
    }
}

/// Exponential backoff with jitter, so many clients do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base.saturating_add(base.mul_f64(f64::from(nanos % 1000) / 2000.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleartext_is_plain_http_to_another_host() {
        for addr in [
            "http://vault.internal:8200",
            "http://10.0.0.7:8200",
            "http://[2001:db8::1]:8200",
        ] {
            assert!(cleartext_over_network(addr), "{addr}");
        }
        for addr in [
            "https://vault.internal:8200",
            "http://127.0.0.1:8200",
            "http://127.8.0.1:8200",
            "http://localhost:8200",
            "http://[::1]:8200",
            "not a url",
        ] {
            assert!(!cleartext_over_network(addr), "{addr}");
        }
    }
}
