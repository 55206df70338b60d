//! Feature flags from an Unleash server: `GET /api/client/features` with the client API
//! token, polled with `If-None-Match` so an unchanged document costs a `304`. Follow it with
//! [`LiveFlags`](config_runtime::flags::LiveFlags), which keeps the last good document and
//! backs off while the server fails. With [`UnleashSource::last_known_good`], every document
//! fetched is also saved to the encrypted [`LastKnownGood`] store, and a process that starts
//! while the server is down begins with the saved one (if it is younger than the store's
//! maximum age). With [`UnleashSource::metrics`], it also sends usage metrics as Unleash's
//! SDKs do: `POST /api/client/register` once, then `POST /api/client/metrics` with how often
//! each flag was on and off and each variant handed out, every interval.
//!
//! ```no_run
//! # async fn run() -> Result<(), config_runtime::flags::FlagsError> {
//! use config_providers::unleash::UnleashSource;
//! use config_runtime::flags::{Context, LiveFlags, LiveFlagsOptions};
//!
//! let source = UnleashSource::new("https://unleash.example.com/api", "default:production.abc", "checkout")?;
//! let flags = LiveFlags::start(source, LiveFlagsOptions::default()).await?;
//! let on = flags.is_enabled("new-checkout", &Context::new().user_id("42"));
//! # Ok(()) }
//! ```

use config_runtime::BoxFuture;
use config_runtime::Format;
use config_runtime::Secret;
use config_runtime::flags::{
    Fetched, FlagSource, Flags, FlagsError, MetricsBucket, MetricsSink, STRATEGIES, SendError,
};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, ETAG, HeaderValue, IF_NONE_MATCH};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Map, Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::body::read_capped;
use crate::flag_backup::FlagBackup;
use crate::lkg::LastKnownGood;

/// The largest flag document read (a broken or hostile server cannot grow memory without end).
const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// An Unleash server's client API as a [`FlagSource`].
pub struct UnleashSource {
    client: reqwest::Client,
    features_url: String,
    token: Secret<String>,
    app_name: String,
    instance_id: String,
    etag: Option<HeaderValue>,
    backup: Option<FlagBackup>,
    /// The API root, for the metrics endpoints.
    api_root: String,
    /// How often usage metrics are sent; `None`: they are not.
    metrics_interval: Option<Duration>,
}

/// What every request to the client API carries: the token and the application's names.
fn client_headers(
    request: RequestBuilder,
    token: &Secret<String>,
    app_name: &str,
    instance_id: &str,
) -> RequestBuilder {
    request
        .header(AUTHORIZATION, token.expose_secret().as_str())
        .header("UNLEASH-APPNAME", app_name)
        .header("UNLEASH-INSTANCEID", instance_id)
        .header("UNLEASH-SDK", SDK_VERSION)
}

/// How this client names itself to the server.
const SDK_VERSION: &str = concat!("config-providers:", env!("CARGO_PKG_VERSION"));

impl UnleashSource {
    /// `api_url` is the server's API root (`https://host/api`); `token` a client (backend)
    /// API token; `app_name` names this application to the server.
    pub fn new(
        api_url: &str,
        token: impl Into<String>,
        app_name: impl Into<String>,
    ) -> Result<Self, FlagsError> {
        let root = reqwest::Url::parse(api_url)
            .map_err(|e| FlagsError::new(format!("Unleash API URL {api_url}: {e}")))?;
        let client = reqwest::Client::builder()
            .user_agent(concat!("config-providers/", env!("CARGO_PKG_VERSION")))
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| FlagsError::new(format!("HTTP client: {e}")))?;
        let instance_id = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| format!("pid-{}", std::process::id()));
        let api_root = root.as_str().trim_end_matches('/').to_owned();
        Ok(UnleashSource {
            client,
            features_url: format!("{api_root}/client/features"),
            api_root,
            metrics_interval: None,
            token: Secret::new(token.into()),
            app_name: app_name.into(),
            instance_id,
            etag: None,
            backup: None,
        })
    }

    /// Names this instance to the server (the host name, else the process id, by default).
    pub fn instance_id(mut self, id: impl Into<String>) -> Self {
        self.instance_id = id.into();
        self
    }

    /// Sends usage metrics every `interval` (Unleash's SDKs default to 60 s), as Unleash's
    /// SDKs do: [`LiveFlags`](config_runtime::flags::LiveFlags) counts every evaluation
    /// (per flag on and off, per variant handed out; see
    /// [`FlagMetrics`](config_runtime::flags::FlagMetrics)), registers the application with
    /// `POST {api}/client/register` when it starts, then sends the counts with
    /// `POST {api}/client/metrics`. What follows a failed send is what Unleash's Node SDK
    /// does: `401` and `403` (the server refuses the token) stop the metrics with a warning
    /// naming the status (no more counts are sent or kept until a restart); `404`, `429`,
    /// `500`, `502`, `503` and `504` keep the counts and back off, one more interval per
    /// failure in a row (up to ten), one less per success; an unreachable server or any other
    /// answer keeps the counts for the next interval. Dropping the `LiveFlags` sends a last
    /// bucket without waiting for it. Failures are logged (without the token) and never stop
    /// evaluation.
    pub fn metrics(mut self, interval: Duration) -> Self {
        self.metrics_interval = Some(interval);
        self
    }

    /// Saves every fetched document to `store`, and starts from it when the server cannot
    /// be reached at start-up.
    pub fn last_known_good(mut self, store: LastKnownGood) -> Self {
        // The entry of this server's document in the store.
        let entry = format!("unleash:{}", self.features_url);
        self.backup = Some(FlagBackup::new(store, entry));
        self
    }

    async fn fetch_or_restore(&mut self) -> Result<Fetched, FlagsError> {
        let fetched = self.fetch_once().await;
        match &mut self.backup {
            Some(backup) => backup.settle(&self.features_url, Format::Json, fetched),
            None => fetched,
        }
    }

    async fn fetch_once(&mut self) -> Result<Fetched, FlagsError> {
        let failed = |what: String| FlagsError::new(format!("{}: {what}", self.features_url));
        let mut request = client_headers(
            self.client.get(&self.features_url),
            &self.token,
            &self.app_name,
            &self.instance_id,
        );
        if let Some(etag) = &self.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let response = request
            .send()
            .await
            .map_err(|e| failed(format!("unreachable ({e})")))?;
        match response.status() {
            StatusCode::NOT_MODIFIED => return Ok(Fetched::Unchanged),
            StatusCode::OK => {}
            status @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                return Err(failed(format!("{status}: the API token was refused")));
            }
            status => return Err(failed(format!("answered {status}"))),
        }
        let etag = response.headers().get(ETAG).cloned();
        let body = read_capped(response, MAX_DOCUMENT_BYTES, "the Unleash feature document")
            .await
            .map_err(|e| failed(e.to_string()))?;
        let text = std::str::from_utf8(&body).map_err(|_| failed("not UTF-8".to_owned()))?;
        let flags = Flags::from_json(text)?;
        if let Some(backup) = &self.backup {
            backup.save(&self.features_url, text);
        }
        self.etag = etag;
        Ok(Fetched::Changed(flags))
    }
}

impl FlagSource for UnleashSource {
    fn describe(&self) -> String {
        self.features_url.clone()
    }

    fn fetch(&mut self) -> BoxFuture<'_, Result<Fetched, FlagsError>> {
        Box::pin(self.fetch_or_restore())
    }

    fn metrics_sink(&mut self) -> Option<Box<dyn MetricsSink>> {
        let interval = self.metrics_interval?;
        Some(Box::new(UnleashMetrics {
            client: self.client.clone(),
            register_url: format!("{}/client/register", self.api_root),
            metrics_url: format!("{}/client/metrics", self.api_root),
            token: self.token.clone(),
            app_name: self.app_name.clone(),
            instance_id: self.instance_id.clone(),
            interval,
        }))
    }
}

/// Unleash's client metrics endpoints, with the source's token and names.
struct UnleashMetrics {
    client: reqwest::Client,
    register_url: String,
    metrics_url: String,
    token: Secret<String>,
    app_name: String,
    instance_id: String,
    interval: Duration,
}

impl UnleashMetrics {
    /// Posts `body`; a failure says what the sending task does next, as the Node SDK decides
    /// it from the status (`metrics.ts`). Its message names the URL and the status, never the
    /// token.
    async fn post(&self, url: &str, body: &Value) -> Result<(), SendError> {
        let failed = |what: String| FlagsError::new(format!("{url}: {what}"));
        let body = serde_json::to_vec(body).map_err(|e| SendError::Retry(failed(e.to_string())))?;
        let request = client_headers(
            self.client.post(url),
            &self.token,
            &self.app_name,
            &self.instance_id,
        )
        .header(CONTENT_TYPE, "application/json")
        .body(body);
        let response = request
            .send()
            .await
            .map_err(|e| SendError::Retry(failed(format!("unreachable ({e})"))))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        Err(refused(status, failed))
    }
}

/// What follows an answer that is not a success, as the Node SDK's `sendMetrics` decides it:
/// the credentials refused stop the metrics; a missing endpoint, a rate limit or a failing
/// server back off; anything else is tried again. `failed` words the error.
fn refused(status: StatusCode, failed: impl Fn(String) -> FlagsError) -> SendError {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            SendError::Stop(failed(format!("{status}: the API token was refused")))
        }
        StatusCode::NOT_FOUND
        | StatusCode::TOO_MANY_REQUESTS
        | StatusCode::INTERNAL_SERVER_ERROR
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => SendError::BackOff(failed(format!("answered {status}"))),
        _ => SendError::Retry(failed(format!("answered {status}"))),
    }
}

impl MetricsSink for UnleashMetrics {
    fn describe(&self) -> String {
        self.metrics_url.clone()
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn register(&mut self, started: SystemTime) -> BoxFuture<'_, Result<(), FlagsError>> {
        let body = json!({
            "appName": self.app_name,
            "instanceId": self.instance_id,
            "sdkVersion": SDK_VERSION,
            "strategies": STRATEGIES,
            "started": timestamp(started),
            "interval": u64::try_from(self.interval.as_millis()).unwrap_or(u64::MAX),
        });
        // A refused registration is only logged, as the Node SDK does: the first bucket's
        // answer decides whether metrics go on.
        Box::pin(async move {
            self.post(&self.register_url, &body)
                .await
                .map_err(|e| e.error().clone())
        })
    }

    fn send<'a>(&'a mut self, bucket: &'a MetricsBucket) -> BoxFuture<'a, Result<(), SendError>> {
        let toggles: Map<String, Value> = bucket
            .toggles
            .iter()
            .map(|(name, counts)| {
                let counts =
                    json!({"yes": counts.yes, "no": counts.no, "variants": counts.variants});
                (name.clone(), counts)
            })
            .collect();
        let body = json!({
            "appName": self.app_name,
            "instanceId": self.instance_id,
            "sdkVersion": SDK_VERSION,
            "bucket": {
                "start": timestamp(bucket.start),
                "stop": timestamp(bucket.stop),
                "toggles": toggles,
            },
        });
        Box::pin(async move { self.post(&self.metrics_url, &body).await })
    }
}

/// `2025-06-01T12:00:00.000Z`: a time as Unleash's schemas write dates.
fn timestamp(time: SystemTime) -> String {
    let millis = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let (days, ms) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_stop_back_off_or_retry_as_the_node_sdk_decides() {
        let after = |code: u16| refused(StatusCode::from_u16(code).unwrap(), FlagsError::new);
        for code in [401, 403] {
            let SendError::Stop(e) = after(code) else {
                panic!("{code} stops")
            };
            assert!(e.to_string().contains(&code.to_string()), "{e}");
        }
        for code in [404, 429, 500, 502, 503, 504] {
            assert!(
                matches!(after(code), SendError::BackOff(_)),
                "{code} backs off"
            );
        }
        for code in [400, 405, 408, 413, 501, 505] {
            assert!(
                matches!(after(code), SendError::Retry(_)),
                "{code} is tried again"
            );
        }
    }

    #[test]
    fn timestamps_read_as_unleash_writes_them() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_748_779_200_123);
        assert_eq!(timestamp(t), "2025-06-01T12:00:00.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400 + 86_399);
        assert_eq!(timestamp(leap), "2000-02-29T23:59:59.000Z");
    }
}
