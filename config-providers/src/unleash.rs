//! Feature flags from an Unleash server: `GET /api/client/features` with the client API
//! token, polled with `If-None-Match` so an unchanged document costs a `304`. Follow it with
//! [`LiveFlags`](config_runtime::flags::LiveFlags), which keeps the last good document and
//! backs off while the server fails. With [`UnleashSource::last_known_good`], every document
//! fetched is also saved to the encrypted [`LastKnownGood`] store, and a process that starts
//! while the server is down begins with the saved one (if it is younger than the store's
//! maximum age).
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
use config_runtime::Secret;
use config_runtime::flags::{Fetched, FlagSource, Flags, FlagsError};
use config_runtime::{Payload, SecretData};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, ETAG, HeaderValue, IF_NONE_MATCH};

use crate::body::read_capped;
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
    backup: Option<LastKnownGood>,
    /// Whether a document was served yet (the store is a fallback at start-up only).
    served: bool,
}

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
        Ok(UnleashSource {
            client,
            features_url: format!("{}/client/features", root.as_str().trim_end_matches('/')),
            token: Secret::new(token.into()),
            app_name: app_name.into(),
            instance_id,
            etag: None,
            backup: None,
            served: false,
        })
    }

    /// Names this instance to the server (the host name, else the process id, by default).
    pub fn instance_id(mut self, id: impl Into<String>) -> Self {
        self.instance_id = id.into();
        self
    }

    /// Saves every fetched document to `store`, and starts from it when the server cannot
    /// be reached at start-up.
    pub fn last_known_good(mut self, store: LastKnownGood) -> Self {
        self.backup = Some(store);
        self
    }

    /// The key of this server's document in the last-known-good store.
    fn backup_key(&self) -> String {
        format!("unleash:{}", self.features_url)
    }

    /// The saved document, when the server fails before serving one.
    fn restore(&self, failure: FlagsError) -> Result<Fetched, FlagsError> {
        let Some(store) = self.backup.as_ref().filter(|_| !self.served) else {
            return Err(failure);
        };
        let (data, age) = store.load(&self.backup_key()).map_err(|e| {
            FlagsError::new(format!("{failure}; and no last-known-good document: {e}"))
        })?;
        let Payload::Text(text) = &data.payload else {
            return Err(failure);
        };
        let flags = Flags::from_json(text.expose_secret())?;
        tracing::warn!(
            source = %self.features_url,
            age = ?age,
            "flag server unreachable at start-up ({failure}); using the last-known-good document"
        );
        Ok(Fetched::Changed(flags))
    }

    async fn fetch_or_restore(&mut self) -> Result<Fetched, FlagsError> {
        match self.fetch_once().await {
            Ok(fetched) => {
                self.served = true;
                Ok(fetched)
            }
            Err(failure) => {
                let restored = self.restore(failure)?;
                self.served = true;
                Ok(restored)
            }
        }
    }

    async fn fetch_once(&mut self) -> Result<Fetched, FlagsError> {
        let failed = |what: String| FlagsError::new(format!("{}: {what}", self.features_url));
        let mut request = self
            .client
            .get(&self.features_url)
            .header(AUTHORIZATION, self.token.expose_secret().as_str())
            .header("UNLEASH-APPNAME", &self.app_name)
            .header("UNLEASH-INSTANCEID", &self.instance_id)
            .header(
                "UNLEASH-SDK",
                concat!("config-providers:", env!("CARGO_PKG_VERSION")),
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
        if let Some(store) = &self.backup
            && let Err(e) = store.save(&self.backup_key(), &SecretData::text(text))
        {
            tracing::warn!(source = %self.features_url, "cannot save the last-known-good flag document: {e}");
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
}
