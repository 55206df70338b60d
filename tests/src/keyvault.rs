//! A Key Vault for tests, written from Microsoft's published REST reference, since no Key
//! Vault emulator installs here (see the README): `GET /secrets/{name}[/{version}]` with
//! `api-version=7.5`, the 401 answer with its `WWW-Authenticate: Bearer authorization=..,
//! resource=..` challenge (also for expired tokens), 403 and 404 error bodies
//! (`{"error":{"code":..,"message":..}}`), and beside it an Entra ID token endpoint
//! (`POST /{tenant}/oauth2/v2.0/token`: client secret or federated client assertion) and an
//! instance metadata token endpoint (`GET /metadata/identity/oauth2/token`, `Metadata: true`,
//! `expires_in` as a string). One server on a free loopback port plays all three; it is
//! stopped when dropped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// The tenant the token endpoint serves.
pub const TENANT: &str = "tenant-1";
/// The app registration it knows.
pub const CLIENT_ID: &str = "app-client-1";
/// That app's client secret.
pub const CLIENT_SECRET: &str = "client-secret-for-tests";
/// The federated token (workload identity) it accepts for that app.
pub const FEDERATED_TOKEN: &str = "federated-token-for-tests";

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read secrets.
    Reader,
    /// Valid, but without the secrets-get permission: 403.
    NoSecrets,
}

struct Issued {
    expires: Instant,
    access: Access,
}

struct Vault {
    url: String,
    secrets: Mutex<HashMap<String, Vec<(String, String)>>>,
    tokens: Mutex<HashMap<String, Issued>>,
    lifetime: Mutex<Duration>,
    issued: AtomicU64,
    versions: AtomicU64,
}

/// A running test Key Vault.
pub struct KeyVault {
    state: Arc<Vault>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for KeyVault {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl KeyVault {
    /// Starts the vault, token endpoint and metadata endpoint on one free loopback port.
    pub async fn start() -> KeyVault {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Vault {
            url,
            secrets: Mutex::default(),
            tokens: Mutex::default(),
            lifetime: Mutex::new(Duration::from_secs(3600)),
            issued: AtomicU64::new(0),
            versions: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/secrets/{name}", get(secret_latest))
            .route("/secrets/{name}/{version}", get(secret_version))
            .route("/{tenant}/oauth2/v2.0/token", post(entra_token))
            .route("/metadata/identity/oauth2/token", get(imds_token))
            .with_state(Arc::clone(&state));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        KeyVault { state, task }
    }

    /// The vault's URL, also its authority host and its token audience.
    pub fn url(&self) -> &str {
        &self.state.url
    }

    /// The metadata service's token URL.
    pub fn imds_endpoint(&self) -> String {
        format!("{}/metadata/identity/oauth2/token", self.url())
    }

    /// Adds a version holding `value` to secret `name`; returns its version id.
    pub fn set_secret(&self, name: &str, value: &str) -> String {
        let n = self.state.versions.fetch_add(1, Ordering::SeqCst) + 1;
        let version = format!("{n:032x}");
        self.state
            .secrets
            .lock()
            .unwrap()
            .entry(name.to_owned())
            .or_default()
            .push((version.clone(), value.to_owned()));
        version
    }

    /// Makes `token` valid for `lifetime` with `access` (a token handed out elsewhere).
    pub fn accept_token(&self, token: &str, lifetime: Duration, access: Access) {
        self.state.tokens.lock().unwrap().insert(
            token.to_owned(),
            Issued {
                expires: Instant::now() + lifetime,
                access,
            },
        );
    }

    /// How long the tokens it issues from now on live.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        *self.state.lifetime.lock().unwrap() = lifetime;
    }

    /// Forgets every token (as after a key rotation): the next requests get 401.
    pub fn revoke_tokens(&self) {
        self.state.tokens.lock().unwrap().clear();
    }

    /// Tokens issued by its endpoints so far.
    pub fn issued(&self) -> u64 {
        self.state.issued.load(Ordering::SeqCst)
    }
}

fn error(status: StatusCode, code: &str, message: &str, inner: Option<&str>) -> Response {
    let mut body = json!({"error": {"code": code, "message": message}});
    if let Some(inner) = inner {
        body["error"]["innererror"] = json!({"code": inner});
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// 401 with the bearer challenge Key Vault sends.
fn challenge(vault: &Vault, message: &str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, "Unauthorized", message, None);
    let value = format!(
        "Bearer authorization=\"{}/{TENANT}\", resource=\"{}\"",
        vault.url, vault.url
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, value.parse().unwrap());
    response
}

fn query(uri: &Uri) -> HashMap<String, String> {
    url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

async fn secret_latest(
    State(vault): State<Arc<Vault>>,
    Path(name): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    answer_secret(&vault, &name, None, &uri, &headers)
}

async fn secret_version(
    State(vault): State<Arc<Vault>>,
    Path((name, version)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    answer_secret(&vault, &name, Some(&version), &uri, &headers)
}

fn answer_secret(
    vault: &Vault,
    name: &str,
    version: Option<&str>,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    let Some(token) = bearer else {
        return challenge(vault, "AKV10000: Request is missing a Bearer or PoP token.");
    };
    let access = {
        let tokens = vault.tokens.lock().unwrap();
        match tokens.get(token) {
            None => return challenge(vault, "AKV10032: Invalid issuer."),
            Some(issued) if issued.expires <= Instant::now() => {
                return challenge(vault, "AKV10022: Token is expired.");
            }
            Some(issued) => issued.access,
        }
    };
    if query(uri).get("api-version").map(String::as_str) != Some("7.5") {
        return error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "The specified version of the API is not supported.",
            None,
        );
    }
    if access == Access::NoSecrets {
        return error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "The user, group or application does not have secrets get permission on key vault.",
            Some("AccessDenied"),
        );
    }
    let secrets = vault.secrets.lock().unwrap();
    let found = secrets.get(name).and_then(|versions| match version {
        Some(version) => versions.iter().find(|(v, _)| v == version),
        None => versions.last(),
    });
    match found {
        Some((version, value)) => Json(json!({
            "value": value,
            "id": format!("{}/secrets/{name}/{version}", vault.url),
            "attributes": {"enabled": true, "created": 1_700_000_000, "updated": 1_700_000_000,
                           "recoveryLevel": "Recoverable+Purgeable"},
            "tags": {},
        })),
        None => {
            return error(
                StatusCode::NOT_FOUND,
                "SecretNotFound",
                &format!("A secret with (name/id) {name} was not found in this key vault."),
                None,
            );
        }
    }
    .into_response()
}

/// Hands out a token for `audience` living the configured lifetime.
fn issue(vault: &Vault, expires_in: impl Fn(u64) -> Value) -> Response {
    let n = vault.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!("kv-token-{n}");
    let lifetime = *vault.lifetime.lock().unwrap();
    vault.tokens.lock().unwrap().insert(
        token.clone(),
        Issued {
            expires: Instant::now() + lifetime,
            access: Access::Reader,
        },
    );
    Json(json!({
        "token_type": "Bearer",
        "expires_in": expires_in(lifetime.as_secs()),
        "access_token": token,
    }))
    .into_response()
}

async fn entra_token(
    State(vault): State<Arc<Vault>>,
    Path(tenant): Path<String>,
    body: String,
) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let field = |name: &str| form.get(name).map(String::as_str);
    let refuse = |status, code: &str| {
        (
            status,
            Json(json!({"error": code, "error_description": code})),
        )
            .into_response()
    };
    if tenant != TENANT {
        return refuse(StatusCode::BAD_REQUEST, "invalid_tenant");
    }
    if field("grant_type") != Some("client_credentials") {
        return refuse(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    if field("scope") != Some(&format!("{}/.default", vault.url)) {
        return refuse(StatusCode::BAD_REQUEST, "invalid_scope");
    }
    let by_secret = field("client_secret") == Some(CLIENT_SECRET);
    let by_assertion = field("client_assertion_type")
        == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        && field("client_assertion") == Some(FEDERATED_TOKEN);
    if field("client_id") != Some(CLIENT_ID) || !(by_secret || by_assertion) {
        return refuse(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    issue(&vault, |secs| json!(secs))
}

async fn imds_token(State(vault): State<Arc<Vault>>, uri: Uri, headers: HeaderMap) -> Response {
    let query = query(&uri);
    if headers.get("Metadata").and_then(|h| h.to_str().ok()) != Some("true")
        || query.get("api-version").map(String::as_str) != Some("2018-02-01")
        || query.get("resource") != Some(&vault.url)
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_request"})),
        )
            .into_response();
    }
    // IMDS sends `expires_in` as a string.
    issue(&vault, |secs| json!(secs.to_string()))
}
