//! Admin endpoints of a [`Live`] config (feature `http`): an axum router an application
//! nests under a path of its choice.
//!
//! ```no_run
//! # use config_runtime::{Config, Secret};
//! # #[derive(Config)] struct AppConfig { #[config(default = 8080)] port: u16 }
//! # async fn run(live: config_runtime::live::Live<AppConfig>, token: Secret<String>) {
//! let app = axum::Router::new().nest("/admin", config_runtime::http::router(live, token));
//! # }
//! ```
//!
//! | route | token | answer |
//! |---|---|---|
//! | `GET /config` | no | the explain report of the running snapshot (secrets redacted) and its version |
//! | `GET /config/health` | no | version, reload counts, last success, last error, overridden keys, each provider's cache, breaker and last-known-good use |
//! | `GET /config/fingerprints?key=<64 hex>` | yes | each key's fingerprint under that key (what `app diff` compares) |
//! | `POST /config/reload` | yes | reloads now: the outcome, or 422 and every problem |
//! | `PUT /config/overrides/{key}` | yes | body `{"value": "debug"}`: overrides the key (see [`Live::set_override`]) |
//! | `DELETE /config/overrides/{key}` | yes | removes the override |
//! | `GET /config/audit` | yes | every override change: actor, key, old and new fingerprints |
//!
//! Routes marked "token" answer 401 unless the request carries `Authorization: Bearer
//! <token>` with the token the application configured (compared in constant time). A
//! request may name its actor for the audit with an `X-Actor` header; the record notes that
//! it came over HTTP. Override answers: 200 applied (or unchanged), 404 no such key, 409 a
//! `restart` field, 422 invalid (the previous value is still served).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use crate::fingerprint::FingerprintKey;
use crate::live::{Live, OverrideError, OverrideRecord, ReloadOutcome};
use crate::{Config, ConfigError, ProviderStatus, Secret};

/// The admin routes of `live` under `/config`; the routes that change or compare require
/// `token` as a bearer token.
pub fn router<T: Config + Send + Sync>(live: Live<T>, token: Secret<String>) -> axum::Router {
    let admin = Admin { live, token };
    axum::Router::new()
        .route("/config", get(explain::<T>))
        .route("/config/health", get(health::<T>))
        .route("/config/fingerprints", get(fingerprints::<T>))
        .route("/config/reload", post(reload::<T>))
        .route(
            "/config/overrides/{key}",
            put(set_override::<T>).delete(clear_override::<T>),
        )
        .route("/config/audit", get(audit::<T>))
        .with_state(admin)
}

/// What every handler reads.
struct Admin<T> {
    live: Live<T>,
    token: Secret<String>,
}

impl<T> Clone for Admin<T> {
    fn clone(&self) -> Self {
        Admin {
            live: self.live.clone(),
            token: self.token.clone(),
        }
    }
}

/// The body of `PUT /config/overrides/{key}`.
#[derive(serde::Deserialize)]
struct OverrideBody {
    value: String,
}

/// The query of `GET /config/fingerprints`.
#[derive(serde::Deserialize)]
struct FingerprintQuery {
    key: Option<String>,
}

/// A JSON error answer: `{"error": message}` plus any detail fields.
fn refusal(status: StatusCode, message: &str, detail: Option<Value>) -> Response {
    let mut body = json!({ "error": message });
    if let Some(Value::Object(fields)) = detail {
        body.as_object_mut().expect("an object").extend(fields);
    }
    (status, Json(body)).into_response()
}

impl<T> Admin<T> {
    /// The actor's name when the request carries the token.
    fn authorize(&self, headers: &HeaderMap) -> Result<String, Unauthorized> {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        let expected = self.token.expose_secret();
        if !given.is_some_and(|given| same(given.as_bytes(), expected.as_bytes())) {
            return Err(Unauthorized);
        }
        let named = headers
            .get("x-actor")
            .and_then(|value| value.to_str().ok())
            .map(|name| name.chars().filter(|c| !c.is_control()).take(128).collect())
            .unwrap_or_else(|| "anonymous".to_owned());
        Ok(format!("{named} (http)"))
    }
}

/// A request without the token: 401, asking for a bearer token.
struct Unauthorized;

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        let mut answer = refusal(StatusCode::UNAUTHORIZED, "a bearer token is required", None);
        answer.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            "Bearer".parse().expect("a header"),
        );
        answer
    }
}

/// Whether two byte strings are equal, in time that depends on their lengths only.
fn same(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

async fn explain<T: Config + Send + Sync>(State(admin): State<Admin<T>>) -> Json<Value> {
    let mut body = admin.live.explain().to_json();
    body["version"] = admin.live.version().into();
    Json(body)
}

async fn health<T: Config + Send + Sync>(State(admin): State<Admin<T>>) -> Json<Value> {
    let metrics = admin.live.metrics();
    Json(json!({
        "version": admin.live.version(),
        "applied": metrics.applied,
        "rejected": metrics.rejected,
        "restart_blocked": metrics.restart_blocked,
        "last_success": seconds(metrics.last_success),
        "last_error": metrics.last_error,
        "last_error_at": seconds(metrics.last_error_at),
        "overridden": admin.live.overridden(),
        "providers": admin.live.providers().iter().map(provider_json).collect::<Vec<_>>(),
    }))
}

/// One provider in the health report.
fn provider_json(status: &ProviderStatus) -> Value {
    json!({
        "scheme": status.scheme,
        "breaker": status.breaker.as_str(),
        "breaker_opens": status.breaker_opens,
        "cache_hits": status.cache_hits,
        "cache_misses": status.cache_misses,
        "calls": status.calls,
        "errors": status.errors,
        "stale_served": status.stale_served,
        "last_known_good_served": status.last_known_good_served,
    })
}

async fn fingerprints<T: Config + Send + Sync>(
    State(admin): State<Admin<T>>,
    headers: HeaderMap,
    Query(query): Query<FingerprintQuery>,
) -> Response {
    if let Err(refused) = admin.authorize(&headers) {
        return refused.into_response();
    }
    let key = query.key.as_deref().map(str::parse::<FingerprintKey>);
    let Some(Ok(key)) = key else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "`key` must be 64 hex digits (a random key picked by the caller)",
            None,
        );
    };
    let keys: Vec<Value> = admin
        .live
        .fingerprints(&key)
        .into_iter()
        .map(|print| {
            json!({
                "key": print.key,
                "secret": print.secret,
                "fingerprint": print.fingerprint,
            })
        })
        .collect();
    Json(json!({ "version": admin.live.version(), "keys": keys })).into_response()
}

async fn reload<T: Config + Send + Sync>(
    State(admin): State<Admin<T>>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = admin.authorize(&headers) {
        return refused.into_response();
    }
    match admin.live.reload().await {
        Ok(outcome) => Json(outcome_json(&outcome)).into_response(),
        Err(error) => invalid("the sources do not validate", &error),
    }
}

async fn set_override<T: Config + Send + Sync>(
    State(admin): State<Admin<T>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    Json(body): Json<OverrideBody>,
) -> Response {
    let actor = match admin.authorize(&headers) {
        Ok(actor) => actor,
        Err(refused) => return refused.into_response(),
    };
    let result = admin.live.set_override(&key, body.value, &actor).await;
    override_answer(result)
}

async fn clear_override<T: Config + Send + Sync>(
    State(admin): State<Admin<T>>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let actor = match admin.authorize(&headers) {
        Ok(actor) => actor,
        Err(refused) => return refused.into_response(),
    };
    override_answer(admin.live.clear_override(&key, &actor).await)
}

async fn audit<T: Config + Send + Sync>(
    State(admin): State<Admin<T>>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = admin.authorize(&headers) {
        return refused.into_response();
    }
    let records: Vec<Value> = admin.live.audit().iter().map(record_json).collect();
    Json(json!({ "records": records })).into_response()
}

/// The answer to an override change.
fn override_answer(result: Result<ReloadOutcome, OverrideError>) -> Response {
    let error = match result {
        Ok(outcome) => return Json(outcome_json(&outcome)).into_response(),
        Err(error) => error,
    };
    let message = error.to_string();
    match &error {
        OverrideError::UnknownKey { .. } | OverrideError::NotOverridden { .. } => {
            refusal(StatusCode::NOT_FOUND, &message, None)
        }
        OverrideError::Restart { .. } => refusal(StatusCode::CONFLICT, &message, None),
        OverrideError::Invalid(invalid_error) => {
            invalid("the override does not validate", invalid_error)
        }
        _ => refusal(StatusCode::SERVICE_UNAVAILABLE, &message, None),
    }
}

/// 422 with every problem.
fn invalid(message: &str, error: &ConfigError) -> Response {
    refusal(
        StatusCode::UNPROCESSABLE_ENTITY,
        message,
        Some(error.to_json()),
    )
}

/// `{"applied": bool, "version", "changed", "restart_required"}`.
fn outcome_json(outcome: &ReloadOutcome) -> Value {
    match outcome {
        ReloadOutcome::Applied(applied) => json!({
            "applied": true,
            "version": applied.version,
            "changed": applied.changed,
            "restart_required": applied.restart_required,
        }),
        ReloadOutcome::Unchanged { version } => json!({
            "applied": false,
            "version": version,
            "changed": [],
            "restart_required": [],
        }),
    }
}

fn record_json(record: &OverrideRecord) -> Value {
    json!({
        "actor": record.actor,
        "key": record.key,
        "change": record.change.as_str(),
        "old": record.old,
        "new": record.new,
        "version": record.version,
        "at": seconds(Some(record.at)),
    })
}

/// Seconds since the Unix epoch.
fn seconds(time: Option<SystemTime>) -> Option<u64> {
    time.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
}
