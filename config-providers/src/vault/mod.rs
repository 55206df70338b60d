//! HashiCorp Vault / OpenBao: answers `${vault:<mount>/<path>#<field>}` from KV v1 and v2
//! mounts (detected per mount), with token or AppRole auth and Vault Enterprise namespaces.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use config_providers::vault::VaultProvider;
//! // VAULT_ADDR (or BAO_ADDR), VAULT_TOKEN or VAULT_ROLE_ID + VAULT_SECRET_ID, VAULT_NAMESPACE
//! let vault = VaultProvider::from_env()?;
//! // then: AppConfig::loader().env().provider(vault).load_async().await?
//! # Ok(()) }
//! ```
//!
//! `?version=N` reads a version of a KV v2 secret: `${vault:secret/app?version=2#password}`.
//!
//! Against a hostile or misconfigured server: no redirect is followed (it would carry the
//! token, or an AppRole `secret_id`, to another address); answers are read up to
//! [`VaultBuilder::max_response_bytes`]; a plain `http` address to another host is warned
//! about once. Dynamic secrets are kept for their lease, so cache refreshes do not mint new
//! credentials; a lease replaced by a new one is revoked.

mod auth;
mod http;
mod leases;
mod transit;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use config_runtime::{ProviderError, ProviderErrorKind, Secret, SecretData};
use serde_json::Value;

use crate::body::WipedJson;
use crate::safeguards::Safeguards;
use crate::store::{CachedProvider, SecretStore, WeakProvider, WritableStore};
use auth::{Auth, TokenCell};
use http::{Http, MAX_RESPONSE_BYTES};
pub use leases::LeaseInfo;
use leases::Leases;

/// How a mount answers reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    /// KV version 1: `GET <path>`.
    KvV1,
    /// KV version 2: `GET <mount>data/<rest>`, versioned.
    KvV2,
    /// Any other engine (database, aws, pki…): `GET <path>` returns data with a lease.
    Leased,
}

/// A cloneable handle to one Vault server answering `${vault:..}`: clones share the HTTP
/// client, the token, the mount table and one cache.
pub type VaultProvider = CachedProvider<VaultStore>;

/// The Vault side of a [`VaultProvider`]: the HTTP client, the token, the mount table and
/// the leases of dynamic secrets.
pub struct VaultStore {
    http: Http,
    token: TokenCell,
    /// The engine of each mount seen so far, by mount path (`secret/`).
    mounts: Mutex<HashMap<String, Engine>>,
    /// Leases of dynamic secrets, renewed in the background, revoked by `shutdown`.
    leases: Leases,
    /// Serializes mount discovery, so fifty first reads make one lookup, not fifty.
    mount_lookup: tokio::sync::Mutex<()>,
    scheme: String,
    /// The provider in front of this store: a refused lease renewal fetches the secret again
    /// through its cache.
    provider: WeakProvider<VaultStore>,
}

impl std::fmt::Debug for VaultStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultStore")
            .field("addr", &self.http.addr())
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

/// Builds a [`VaultProvider`].
#[must_use]
pub struct VaultBuilder {
    addr: String,
    namespace: Option<String>,
    auth: Option<Auth>,
    timeout: Duration,
    scheme: String,
    safeguards: Safeguards,
    ca_certificates: Vec<Vec<u8>>,
    /// The client certificate and key, one PEM, for mutual TLS.
    client_identity: Option<zeroize::Zeroizing<Vec<u8>>>,
    max_response_bytes: usize,
}

impl std::fmt::Debug for VaultBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultBuilder")
            .field("addr", &self.addr)
            .field("namespace", &self.namespace)
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl VaultBuilder {
    /// The cache, audit sink, last-known-good store and outage policy (default: a 5-minute
    /// cache, `tracing` audit events, no fallback store, loads fail while Vault is down).
    pub fn safeguards(mut self, safeguards: Safeguards) -> Self {
        self.safeguards = safeguards;
        self
    }

    /// Authenticates with a token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Auth::Token(config_runtime::Secret::new(token.into())));
        self
    }

    /// Authenticates with AppRole: logs in, renews the token before it expires, logs in again
    /// when renewal is refused.
    pub fn approle(mut self, role_id: impl Into<String>, secret_id: impl Into<String>) -> Self {
        self.auth = Some(Auth::AppRole {
            role_id: role_id.into(),
            secret_id: config_runtime::Secret::new(secret_id.into()),
        });
        self
    }

    /// Sends `X-Vault-Namespace` (Vault Enterprise / OpenBao namespaces).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Trusts this CA (PEM) for Vault's TLS certificate, besides the system roots.
    pub fn ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_certificates.push(pem.into());
        self
    }

    /// Trusts the CA in this PEM file (what `VAULT_CACERT` names).
    pub fn ca_certificate_file(
        self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Self, ProviderError> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|e| {
            ProviderError::new(
                ProviderErrorKind::Invalid,
                format!(
                    "cannot read the Vault CA certificate {}: {e}",
                    path.display()
                ),
            )
        })?;
        Ok(self.ca_certificate_pem(pem))
    }

    /// Presents this client certificate and key (PEM; the certificate may be followed by
    /// its chain) to a Vault listener that requires one (mutual TLS,
    /// `tls_require_and_verify_client_cert`).
    pub fn client_certificate_pem(
        mut self,
        certificate: impl AsRef<[u8]>,
        key: impl AsRef<[u8]>,
    ) -> Self {
        let mut pem = zeroize::Zeroizing::new(certificate.as_ref().to_vec());
        pem.push(b'\n');
        pem.extend_from_slice(key.as_ref());
        self.client_identity = Some(pem);
        self
    }

    /// The client certificate and key in these PEM files (what `VAULT_CLIENT_CERT` and
    /// `VAULT_CLIENT_KEY` name).
    pub fn client_certificate_files(
        self,
        certificate: impl AsRef<std::path::Path>,
        key: impl AsRef<std::path::Path>,
    ) -> Result<Self, ProviderError> {
        let read = |path: &std::path::Path, what: &str| {
            std::fs::read(path)
                .map(zeroize::Zeroizing::new)
                .map_err(|e| {
                    ProviderError::new(
                        ProviderErrorKind::Invalid,
                        format!(
                            "cannot read the Vault client {what} {}: {e}",
                            path.display()
                        ),
                    )
                })
        };
        let certificate = read(certificate.as_ref(), "certificate")?;
        let key = read(key.as_ref(), "key")?;
        Ok(self.client_certificate_pem(&*certificate, &*key))
    }

    /// Timeout of each request (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest answer read from Vault (default 4 MiB); a bigger one is an error naming
    /// the address and the limit, so a broken or hostile server cannot exhaust memory.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// The reference scheme answered (default `vault`).
    pub fn scheme(mut self, scheme: impl Into<String>) -> Self {
        self.scheme = scheme.into();
        self
    }

    /// Builds the provider. No request is made until the first secret is read. Fails without
    /// credentials or with an invalid cache policy; warns (once per address) when the address
    /// is plain `http` to another host.
    pub fn build(self) -> Result<VaultProvider, ProviderError> {
        self.safeguards.check()?;
        let auth = self.auth.ok_or_else(|| {
            ProviderError::new(
                ProviderErrorKind::Invalid,
                "Vault needs a token or AppRole credentials",
            )
        })?;
        let http = Http::new(
            &self.addr,
            self.namespace,
            self.timeout,
            &self.ca_certificates,
            self.client_identity.as_deref().map(Vec::as_slice),
            self.max_response_bytes,
        )?;
        let token = TokenCell::new(auth);
        let scheme = self.scheme;
        Ok(CachedProvider::new_cyclic(
            &scheme.clone(),
            self.safeguards,
            |provider| VaultStore {
                http,
                token,
                mounts: Mutex::new(HashMap::new()),
                leases: Leases::default(),
                mount_lookup: tokio::sync::Mutex::new(()),
                scheme,
                provider,
            },
        ))
    }
}

impl VaultProvider {
    /// A builder for the server at `addr` (`http://127.0.0.1:8200`).
    pub fn builder(addr: impl Into<String>) -> VaultBuilder {
        VaultBuilder {
            addr: addr.into(),
            namespace: None,
            auth: None,
            timeout: Duration::from_secs(10),
            scheme: "vault".to_owned(),
            safeguards: Safeguards::default(),
            ca_certificates: Vec::new(),
            client_identity: None,
            max_response_bytes: MAX_RESPONSE_BYTES,
        }
    }

    /// From the standard variables: `VAULT_ADDR` (or `BAO_ADDR`), `VAULT_TOKEN` (or
    /// `BAO_TOKEN`), or `VAULT_ROLE_ID` + `VAULT_SECRET_ID`, `VAULT_NAMESPACE`, and
    /// `VAULT_CACERT` (a PEM file of the CA that signed Vault's certificate).
    pub fn from_env() -> Result<VaultProvider, ProviderError> {
        let var = |names: &[&str]| names.iter().find_map(|n| std::env::var(n).ok());
        let addr = var(&["VAULT_ADDR", "BAO_ADDR"]).ok_or_else(|| {
            ProviderError::new(
                ProviderErrorKind::Invalid,
                "VAULT_ADDR (or BAO_ADDR) is not set",
            )
        })?;
        let mut builder = VaultProvider::builder(addr);
        if let Some(token) = var(&["VAULT_TOKEN", "BAO_TOKEN"]) {
            builder = builder.token(token);
        } else if let (Some(role), Some(secret)) =
            (var(&["VAULT_ROLE_ID"]), var(&["VAULT_SECRET_ID"]))
        {
            builder = builder.approle(role, secret);
        }
        if let Some(namespace) = var(&["VAULT_NAMESPACE", "BAO_NAMESPACE"]) {
            builder = builder.namespace(namespace);
        }
        if let Some(ca) = var(&["VAULT_CACERT", "BAO_CACERT"]) {
            builder = builder.ca_certificate_file(ca)?;
        }
        match (
            var(&["VAULT_CLIENT_CERT", "BAO_CLIENT_CERT"]),
            var(&["VAULT_CLIENT_KEY", "BAO_CLIENT_KEY"]),
        ) {
            (Some(certificate), Some(key)) => {
                builder = builder.client_certificate_files(certificate, key)?;
            }
            (None, None) => {}
            _ => {
                return Err(ProviderError::new(
                    ProviderErrorKind::Invalid,
                    "VAULT_CLIENT_CERT and VAULT_CLIENT_KEY go together: set both or neither",
                ));
            }
        }
        builder.build()
    }

    /// How many AppRole logins and token renewals happened so far, for monitoring.
    pub fn auth_counts(&self) -> (u64, u64) {
        self.inner.token.counts()
    }

    /// The leases this provider holds (dynamic secrets), for monitoring.
    pub fn leases(&self) -> Vec<LeaseInfo> {
        self.inner.leases.list()
    }

    /// Revokes every lease this provider holds (call it when the application stops, so
    /// dynamic credentials do not outlive it). Returns how many were revoked; when some could
    /// not be, every one of them is tried and the error names each failure.
    pub async fn shutdown(&self) -> Result<usize, ProviderError> {
        let store = &self.inner;
        let mut revoked = 0;
        let mut failures: Vec<(LeaseInfo, ProviderError)> = Vec::new();
        for lease in store.leases.take_all() {
            match store.revoke(&lease).await {
                Ok(()) => revoked += 1,
                Err(e) => failures.push((lease, e)),
            }
        }
        let Some((_, first)) = failures.first() else {
            return Ok(revoked);
        };
        let kind = first.kind;
        let listed: Vec<String> = failures
            .iter()
            .map(|(lease, e)| format!("`{}` (lease {}): {e}", lease.path, lease.lease_id))
            .collect();
        Err(ProviderError::new(
            kind,
            format!(
                "revoked {revoked} of {} leases; {} could not be revoked: {}",
                revoked + failures.len(),
                failures.len(),
                listed.join("; ")
            ),
        ))
    }
}

/// Reads `mount/path` with an optional `?version=N`. A secret with a lease (a dynamic
/// database credential, say) is renewed in the background at two thirds of its lease until
/// [`VaultProvider::shutdown`]. Versions come from KV v2 metadata (no secret data is read);
/// KV v1 and dynamic secrets have none, and a reference pinned with `?version=N` cannot
/// change, so those poll as `None`.
impl SecretStore for VaultStore {
    fn scheme(&self) -> &str {
        &self.scheme
    }

    async fn read(&self, locator: &str) -> Result<SecretData, ProviderError> {
        let (path, version) = split_version(locator)?;
        let path = path.trim_matches('/');
        let (mount, engine) = self.mount_of(path).await?;
        if version.is_some() && engine != Engine::KvV2 {
            return Err(ProviderError::new(
                ProviderErrorKind::Invalid,
                format!("`{path}` is not in a KV v2 mount, so it has no versions"),
            ));
        }
        match engine {
            Engine::KvV2 => {
                let rest = path.strip_prefix(mount.as_str()).unwrap_or(path);
                let query = version.map(|v| format!("?version={v}")).unwrap_or_default();
                let body = self
                    .api_get(&format!("{mount}data/{rest}{query}"), path)
                    .await?;
                parse_kv(&body, 2, path)
            }
            Engine::KvV1 => parse_kv(&*self.api_get(path, path).await?, 1, path),
            Engine::Leased => {
                // Credentials are kept for their lease: a cache refresh must not mint more.
                if let Some(data) = self.leases.current(locator) {
                    return Ok(data);
                }
                let body = self.api_get(path, path).await?;
                let data = parse_kv(&body, 1, path)?;
                if let Some(lease) = leases::lease_of(&body, locator) {
                    for old in self.leases.track(lease, data.clone(), &self.provider) {
                        if let Err(e) = self.revoke(&old).await {
                            tracing::warn!(target: "config_providers::vault", path = %old.path, lease = %old.lease_id, "cannot revoke a superseded lease: {e}");
                        }
                    }
                }
                Ok(data)
            }
        }
    }

    async fn version(&self, locator: &str) -> Result<Option<String>, ProviderError> {
        let (path, pinned) = split_version(locator)?;
        let path = path.trim_matches('/');
        let (mount, engine) = self.mount_of(path).await?;
        if engine != Engine::KvV2 || pinned.is_some() {
            return Ok(None);
        }
        let rest = path.strip_prefix(mount.as_str()).unwrap_or(path);
        let body = self
            .api_get(&format!("{mount}metadata/{rest}"), path)
            .await?;
        Ok(body["data"]["current_version"]
            .as_u64()
            .map(|v| v.to_string()))
    }
}

/// `migrate --to vault:<mount>/<path>` writes here: the fields are added to the secret (its
/// other fields kept), as a new KV v2 version checked-and-set against the version read, so a
/// write that raced with another fails instead of dropping its fields; or into a KV v1 path.
impl WritableStore for VaultStore {
    async fn write_fields(
        &self,
        path: &str,
        fields: &[(String, Secret<String>)],
    ) -> Result<(), ProviderError> {
        let (mount, engine) = self.mount_of(path).await?;
        let rest = path.strip_prefix(mount.as_str()).unwrap_or(path);
        let (read_path, kv_version) = match engine {
            Engine::KvV2 => (format!("{mount}data/{rest}"), 2),
            Engine::KvV1 => (path.to_owned(), 1),
            Engine::Leased => {
                return Err(ProviderError::new(
                    ProviderErrorKind::Invalid,
                    format!("`{path}` is not in a KV mount: secrets cannot be written there"),
                ));
            }
        };
        let (mut data, version) = match self.api_get(&read_path, path).await {
            Ok(body) => {
                let (data, version) = match kv_version {
                    2 => (
                        &body["data"]["data"],
                        body["data"]["metadata"]["version"].as_u64(),
                    ),
                    _ => (&body["data"], None),
                };
                (
                    data.as_object().cloned().unwrap_or_default(),
                    version.unwrap_or(0),
                )
            }
            Err(e) if e.kind == ProviderErrorKind::NotFound => (serde_json::Map::new(), 0),
            Err(e) => return Err(e),
        };
        for (field, value) in fields {
            data.insert(field.clone(), Value::String(value.expose_secret().clone()));
        }
        let mut body = match kv_version {
            2 => serde_json::json!({ "options": { "cas": version }, "data": data }),
            _ => Value::Object(data),
        };
        let token = self.token.current(&self.http).await?;
        let written = self
            .http
            .write(
                reqwest::Method::POST,
                &read_path,
                Some(token.as_str()),
                &body,
                path,
            )
            .await;
        crate::body::wipe(&mut body);
        written.map(drop)
    }
}

impl VaultStore {
    /// Renews one lease; the new lease duration.
    async fn renew_lease(
        &self,
        lease_id: &str,
        increment: Duration,
        shown: &str,
    ) -> Result<Duration, ProviderError> {
        let token = self.token.current(&self.http).await?;
        let body = self
            .http
            .write(
                reqwest::Method::PUT,
                "sys/leases/renew",
                Some(token.as_str()),
                &serde_json::json!({ "lease_id": lease_id, "increment": increment.as_secs() }),
                shown,
            )
            .await?;
        Ok(Duration::from_secs(
            body["lease_duration"].as_u64().unwrap_or(0),
        ))
    }

    /// Revokes one lease.
    async fn revoke(&self, lease: &LeaseInfo) -> Result<(), ProviderError> {
        let token = self.token.current(&self.http).await?;
        self.http
            .write(
                reqwest::Method::PUT,
                "sys/leases/revoke",
                Some(token.as_str()),
                &serde_json::json!({ "lease_id": lease.lease_id }),
                &lease.path,
            )
            .await?;
        Ok(())
    }

    /// GET with the current token; on 403 with AppRole, logs in again once and retries.
    async fn api_get(&self, api_path: &str, shown: &str) -> Result<WipedJson, ProviderError> {
        let token = self.token.current(&self.http).await?;
        match self.http.get(api_path, &token, shown).await {
            Err(e) if e.kind == ProviderErrorKind::Denied && self.token.can_login() => {
                let token = self.token.relogin(&self.http).await?;
                self.http.get(api_path, &token, shown).await
            }
            other => other,
        }
    }

    /// The mount holding `path` and its KV version, asking Vault once per mount.
    async fn mount_of(&self, path: &str) -> Result<(String, Engine), ProviderError> {
        if let Some(found) = self.known_mount(path) {
            return Ok(found);
        }
        let _one_at_a_time = self.mount_lookup.lock().await;
        if let Some(found) = self.known_mount(path) {
            return Ok(found);
        }
        let body = self
            .api_get(&format!("sys/internal/ui/mounts/{path}"), path)
            .await?;
        let data = &body["data"];
        let mount = data["path"].as_str().unwrap_or_default().to_owned();
        if mount.is_empty() {
            return Err(ProviderError::new(
                ProviderErrorKind::NotFound,
                format!("`{path}` is in no secrets engine"),
            ));
        }
        let version = match (data["type"].as_str(), data["options"]["version"].as_str()) {
            (Some("kv"), Some("2")) => Engine::KvV2,
            (Some("kv"), _) => Engine::KvV1,
            _ => Engine::Leased,
        };
        self.mounts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(mount.clone(), version);
        Ok((mount, version))
    }

    fn known_mount(&self, path: &str) -> Option<(String, Engine)> {
        let mounts = self
            .mounts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        mounts
            .iter()
            .filter(|(mount, _)| path.starts_with(mount.as_str()))
            .max_by_key(|(mount, _)| mount.len())
            .map(|(mount, version)| (mount.clone(), *version))
    }
}

/// `secret/app?version=3` → (`secret/app`, Some(3)).
fn split_version(locator: &str) -> Result<(&str, Option<u64>), ProviderError> {
    let Some((path, query)) = locator.split_once('?') else {
        return Ok((locator, None));
    };
    let version = query
        .strip_prefix("version=")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            ProviderError::new(
                ProviderErrorKind::Invalid,
                format!("`{path}`: the only query Vault references take is `?version=N`"),
            )
        })?;
    Ok((path, Some(version)))
}

/// The fields of a KV read; version metadata from KV v2.
fn parse_kv(body: &Value, kv_version: u8, path: &str) -> Result<SecretData, ProviderError> {
    let (fields, version) = match kv_version {
        2 => (
            &body["data"]["data"],
            body["data"]["metadata"]["version"].as_u64(),
        ),
        _ => (&body["data"], None),
    };
    let Some(fields) = fields.as_object() else {
        return Err(ProviderError::new(
            ProviderErrorKind::NotFound,
            format!("`{path}` has no data (deleted or destroyed version)"),
        ));
    };
    let data = SecretData::fields(fields.iter().map(|(key, value)| {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        (key.clone(), text)
    }));
    Ok(match version {
        Some(version) => data.with_version(version.to_string()),
        None => data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_from_the_query() {
        assert_eq!(split_version("secret/app").unwrap(), ("secret/app", None));
        assert_eq!(
            split_version("secret/app?version=3").unwrap(),
            ("secret/app", Some(3))
        );
        assert!(split_version("secret/app?v=3").is_err());
    }

    #[test]
    fn kv2_bodies_give_fields_and_version() {
        let body = serde_json::json!({"data": {"data": {"password": "pw", "port": 5432}, "metadata": {"version": 4}}});
        let data = parse_kv(&body, 2, "secret/app").unwrap();
        assert_eq!(data.select(Some("password")).unwrap(), "pw");
        assert_eq!(data.select(Some("port")).unwrap(), "5432");
        assert_eq!(data.version.as_deref(), Some("4"));
        let deleted = serde_json::json!({"data": {"data": null, "metadata": {"version": 5}}});
        assert_eq!(
            parse_kv(&deleted, 2, "secret/app").unwrap_err().kind,
            ProviderErrorKind::NotFound
        );
    }
}
