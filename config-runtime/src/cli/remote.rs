//! Reading a running instance's fingerprints (`GET <url>?key=<hex>`, the route of
//! `config_runtime::http`) with one plain HTTP/1.0 request: the admin endpoint is reached on
//! a private address, and the command line stays free of an HTTP client stack.
//!
//! The bearer token, when the route needs one, comes from `CONFIG_ADMIN_TOKEN` (never an
//! argument: arguments are visible to every user of the machine).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::diff::View;
use crate::fingerprint::{Fingerprint, FingerprintKey};

/// The variable holding the bearer token for admin routes.
pub(crate) const TOKEN_VAR: &str = "CONFIG_ADMIN_TOKEN";

/// The largest answer read (a fingerprint per key is small).
const MAX_ANSWER: u64 = 4 << 20;

/// The keys of the instance at `url`, fingerprinted under `key`.
pub(super) fn fingerprints(url: &str, key: &FingerprintKey) -> Result<Vec<View>, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// is supported (reach a TLS endpoint through a local tunnel)")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let separator = if path.contains('?') { '&' } else { '?' };
    let target = format!("/{path}{separator}key={}", key.to_hex());
    let mut stream = TcpStream::connect(host).map_err(|e| format!("cannot connect: {e}"))?;
    let timeout = Some(Duration::from_secs(10));
    let _ = stream.set_read_timeout(timeout);
    let _ = stream.set_write_timeout(timeout);
    let mut request =
        format!("GET {target} HTTP/1.0\r\nHost: {host}\r\nAccept: application/json\r\n");
    if let Ok(token) = std::env::var(TOKEN_VAR) {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut answer = Vec::new();
    stream
        .take(MAX_ANSWER)
        .read_to_end(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or("the answer is not HTTP")?;
    let status = head.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(format!("answered {status}"));
    }
    parse(body)
}

/// `{"keys": [{"key", "secret", "fingerprint"}]}` into views.
fn parse(body: &str) -> Result<Vec<View>, String> {
    let document: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let keys = document["keys"]
        .as_array()
        .ok_or("the answer has no `keys` list")?;
    keys.iter()
        .map(|entry| {
            let key = entry["key"].as_str().ok_or("a key without a name")?;
            let fingerprint = match &entry["fingerprint"] {
                serde_json::Value::Null => None,
                value => Some(
                    value
                        .as_str()
                        .and_then(|text| text.parse::<Fingerprint>().ok())
                        .ok_or_else(|| format!("`{key}` has a malformed fingerprint"))?,
                ),
            };
            Ok(View {
                key: key.to_owned(),
                secret: entry["secret"].as_bool().unwrap_or(true),
                source: None,
                shown: None,
                fingerprint,
            })
        })
        .collect()
}
