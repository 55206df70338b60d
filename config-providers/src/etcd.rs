//! etcd: keys under a prefix as configuration values, pushed to the application by etcd's
//! watch (no polling), and `${etcd:/key}` references.
//!
//! The client speaks etcd's v3 JSON gateway (`/v3/kv/range`, `/v3/watch`) over `reqwest`, so
//! no protobuf toolchain is needed to build it. It knows every member of the cluster and moves
//! to the next one when a member fails; a watch resumes from the last revision it delivered,
//! so no change is lost or repeated across a disconnect. Reconnects wait 200 ms, doubling
//! to 5 s while members keep failing, back to 200 ms once a stream has stayed up 10 s.
//!
//! etcd compacts its history: a watch that resumes from a compacted revision is canceled by
//! etcd, and the changes since the last one delivered cannot be replayed. The watch then
//! reads the keys anew, tells its consumer so ([`EtcdEvent::Resync`]; a `Live` config
//! gathers the prefix again, an `EtcdFlags` fetches its key again), and resumes just after
//! the revision of that read, with a warning naming the member and the revisions. A watch
//! etcd cancels for another reason (permission, the member's own cancel) reconnects to the
//! next member after the back-off, with a warning giving etcd's reason.
//!
//! Answers and watch messages are bounded by [`EtcdBuilder::max_response_bytes`]: a larger
//! range is an error naming the member and the limit; a larger watch message is skipped
//! with a warning (its changes are not delivered), and the watch goes on.
//!
//! Key mapping: under the prefix `/app/`, the key `/app/redis/host` is the config key
//! `redis.host` (slashes become dots).
//!
//! One key can also hold a flag document for `config_runtime::flags::LiveFlags` (feature
//! `etcd-flags`): `EtcdSource::flags` makes an `EtcdFlags` on the same client, followed by
//! the same watch.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use config_runtime::source::{Entry, GatherContext, Gathered, Gathering, Source, Trust, Version};
use config_runtime::{Origin, ProviderError, ProviderErrorKind, SecretData};
use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::body::{self, Line, LineBuffer, WipedJson};
use crate::safeguards::Safeguards;
use crate::store::{CachedProvider, SecretStore};

#[cfg(feature = "etcd-flags")]
mod flags;

#[cfg(feature = "etcd-flags")]
pub use flags::EtcdFlags;

/// Default cap on one answer (a range of the prefix, one watch message): room for many
/// thousands of keys, while a broken or hostile member cannot exhaust memory.
const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// Default of [`EtcdBuilder::watch_idle_timeout`]: half again etcd's default progress
/// notification interval (10 minutes).
const WATCH_IDLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// A handle to an etcd cluster and a key prefix, both a loader source (the keys under the
/// prefix) and the provider of `${etcd:/key}` references; clones share the client and one
/// cache.
pub type EtcdSource = CachedProvider<EtcdStore>;

/// The etcd side of an [`EtcdSource`]: the client, the members, the prefix and the revision
/// seen last.
pub struct EtcdStore {
    http: reqwest::Client,
    endpoints: Vec<String>,
    prefix: String,
    /// The member that answered last; requests start there.
    preferred: AtomicUsize,
    /// The revision of the latest snapshot: pushes follow from there.
    last_revision: AtomicI64,
    /// The largest answer or watch message read.
    max_response_bytes: usize,
    /// How long a watch may hear nothing before it moves to another member.
    watch_idle_timeout: Duration,
}

impl std::fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdStore")
            .field("endpoints", &self.endpoints)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// The values under the prefix at one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdSnapshot {
    /// (config key, value), sorted by key.
    pub entries: Vec<(String, String)>,
    /// The cluster revision the snapshot was read at; watch from here.
    pub revision: i64,
}

/// What [`EtcdSource::watch`] delivers, in revision order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtcdEvent {
    /// One key changed.
    Change(EtcdChange),
    /// etcd compacted the history the watch needed (it resumed after a member failed, or
    /// started from an old revision), so the changes since the last one delivered are gone:
    /// this is every key under the prefix read anew, at `revision`. Replace what you hold
    /// with it; the changes after `revision` follow as [`Change`](Self::Change)s (none is
    /// missed, none of them is already in the snapshot).
    Resync(EtcdSnapshot),
}

/// One change delivered by a watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdChange {
    /// The revision of the change.
    pub revision: i64,
    /// The config key.
    pub key: String,
    /// The new value; `None` when the key was deleted.
    pub value: Option<String>,
}

fn unavailable(message: String) -> ProviderError {
    ProviderError::new(ProviderErrorKind::Unavailable, message)
}

fn b64(text: &str) -> String {
    BASE64.encode(text.as_bytes())
}

fn unb64(value: &Value) -> Option<String> {
    let bytes = BASE64.decode(value.as_str()?).ok()?;
    String::from_utf8(bytes).ok()
}

/// A revision as the gateway writes it (a string of digits); 0 when absent.
fn revision(value: &Value) -> i64 {
    value.as_str().and_then(|r| r.parse().ok()).unwrap_or(0)
}

/// The keys one read or watch covers: every key under a prefix, or one key.
#[derive(Debug, Clone)]
struct Keys {
    /// The first key, in base64 as the gateway takes keys.
    key: String,
    /// The end of a prefix's range (base64); `None` for one key.
    range_end: Option<String>,
}

impl Keys {
    fn prefix(prefix: &str) -> Self {
        Keys {
            key: b64(prefix),
            range_end: Some(prefix_end(prefix)),
        }
    }

    fn one(key: &str) -> Self {
        Keys {
            key: b64(key),
            range_end: None,
        }
    }

    /// The keys as a log names them (`/app/*`, `/flags/a.yaml`): names, never values.
    fn describe(&self) -> String {
        let key = BASE64.decode(&self.key).unwrap_or_default();
        let key = String::from_utf8_lossy(&key).into_owned();
        if self.range_end.is_some() {
            format!("{key}*")
        } else {
            key
        }
    }

    /// The request fields naming the keys.
    fn request(&self) -> Value {
        let mut request = json!({ "key": self.key });
        if let Some(end) = &self.range_end {
            request["range_end"] = json!(end);
        }
        request
    }
}

/// What a range read found.
struct Range {
    /// The cluster revision the read was served at.
    revision: i64,
    /// The keys found, in etcd's order (by key).
    kvs: Vec<KeyValue>,
}

/// One key of a range read.
struct KeyValue {
    /// The full etcd key.
    key: String,
    /// The value; `None` when it is not UTF-8.
    value: Option<String>,
    /// The revision of the key's last change (a flag document's version).
    #[cfg(feature = "etcd-flags")]
    mod_revision: i64,
}

/// The key just after every key with this prefix (etcd's `range_end` for a prefix).
fn prefix_end(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < 0xff {
            bytes.push(last + 1);
            return BASE64.encode(&bytes);
        }
    }
    BASE64.encode([0u8])
}

/// The client URLs in `ETCD_ENDPOINTS` (comma-separated).
fn endpoints_from_env() -> Result<Vec<String>, ProviderError> {
    let endpoints = std::env::var("ETCD_ENDPOINTS")
        .map_err(|_| ProviderError::new(ProviderErrorKind::Invalid, "ETCD_ENDPOINTS is not set"))?;
    Ok(endpoints.split(',').map(|e| e.trim().to_owned()).collect())
}

/// Builds an [`EtcdSource`]: `EtcdSource::builder(endpoints, prefix)`, then
/// `.safeguards(..)` (for `${etcd:..}` references), then `.build()`.
#[must_use]
#[derive(Debug)]
pub struct EtcdBuilder {
    endpoints: Vec<String>,
    prefix: String,
    safeguards: Safeguards,
    max_response_bytes: usize,
    watch_idle_timeout: Duration,
}

impl EtcdBuilder {
    /// The largest answer (a range of the prefix) or watch message read (default 16 MiB).
    /// A bigger answer is an error naming the member and the limit; a bigger watch message
    /// is skipped with a warning.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// How long a watch may hear nothing before its member is taken for frozen and the watch
    /// moves to the next one (default 15 minutes). Watches ask etcd for progress
    /// notifications, which a quiet watch gets every 10 minutes by default (etcd's
    /// `--experimental-watch-progress-notify-interval`): keep this above that interval. Without
    /// it, a member that stops answering without closing the connection (a paused process,
    /// a network black hole) would hold a watch for ever.
    pub fn watch_idle_timeout(mut self, timeout: Duration) -> Self {
        self.watch_idle_timeout = timeout;
        self
    }

    /// The cache, audit sink, last-known-good store and outage policy of `${etcd:..}`
    /// references (default: a 5-minute cache, `tracing` audit events, no fallback store,
    /// loads fail while etcd is down).
    pub fn safeguards(mut self, safeguards: Safeguards) -> Self {
        self.safeguards = safeguards;
        self
    }

    /// Builds the source. No request is made until it is read.
    pub fn build(self) -> Result<EtcdSource, ProviderError> {
        self.safeguards.check()?;
        if self.endpoints.is_empty() {
            return Err(ProviderError::new(
                ProviderErrorKind::Invalid,
                "etcd needs at least one endpoint",
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| {
                ProviderError::new(
                    ProviderErrorKind::Invalid,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        let store = EtcdStore {
            http,
            endpoints: self.endpoints,
            prefix: self.prefix,
            preferred: AtomicUsize::new(0),
            last_revision: AtomicI64::new(0),
            max_response_bytes: self.max_response_bytes,
            watch_idle_timeout: self.watch_idle_timeout,
        };
        Ok(CachedProvider::new(store, self.safeguards))
    }
}

impl EtcdStore {
    /// The config key of an etcd key under the prefix.
    fn config_key(&self, key: &str) -> Option<String> {
        let rest = key.strip_prefix(&self.prefix)?;
        Some(rest.trim_matches('/').replace('/', "."))
    }

    /// POSTs to the first member that answers, starting with the last good one.
    async fn post(
        &self,
        path: &str,
        body: &Value,
        timeout: Duration,
    ) -> Result<WipedJson, ProviderError> {
        let count = self.endpoints.len();
        let start = self.preferred.load(Ordering::Relaxed);
        let mut last = String::new();
        for step in 0..count {
            let index = (start + step) % count;
            let endpoint = &self.endpoints[index];
            let sent = self
                .http
                .post(format!("{endpoint}{path}"))
                .json(body)
                .timeout(timeout)
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {
                    self.preferred.store(index, Ordering::Relaxed);
                    let what = format!("the answer of etcd at {endpoint}{path}");
                    let bytes = body::read_capped(response, self.max_response_bytes, &what).await?;
                    return body::parse(&bytes).ok_or_else(|| {
                        unavailable(format!("{endpoint} answered with a body that is not JSON"))
                    });
                }
                Ok(response) => {
                    last = format!("{endpoint} answered HTTP {}", response.status().as_u16())
                }
                Err(e) => {
                    last = format!(
                        "{endpoint}: {}",
                        if e.is_timeout() {
                            "timed out"
                        } else {
                            "connection failed"
                        }
                    )
                }
            }
        }
        Err(unavailable(format!("no etcd member answered ({last})")))
    }

    /// Reads the keys (linearizable read).
    async fn range(&self, keys: &Keys) -> Result<Range, ProviderError> {
        let answer = self
            .post("/v3/kv/range", &keys.request(), Duration::from_secs(5))
            .await?;
        let kvs = answer["kvs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|kv| {
                Some(KeyValue {
                    key: unb64(&kv["key"])?,
                    value: unb64(&kv["value"]),
                    #[cfg(feature = "etcd-flags")]
                    mod_revision: revision(&kv["mod_revision"]),
                })
            })
            .collect();
        Ok(Range {
            revision: revision(&answer["header"]["revision"]),
            kvs,
        })
    }

    /// The cluster's current revision, by a linearizable read of the keys that returns only
    /// their count.
    async fn current_revision(&self, keys: &Keys) -> Result<i64, ProviderError> {
        let mut request = keys.request();
        request["count_only"] = json!(true);
        let answer = self
            .post("/v3/kv/range", &request, Duration::from_secs(5))
            .await?;
        Ok(revision(&answer["header"]["revision"]))
    }

    /// The keys of `range` named by `name`, sorted, at the range's revision.
    fn snapshot_of(&self, range: Range, name: KeyName) -> EtcdSnapshot {
        let mut entries: Vec<(String, String)> = range
            .kvs
            .into_iter()
            .filter_map(|kv| Some((name(self, &kv.key)?, kv.value.unwrap_or_default())))
            .collect();
        entries.sort();
        self.last_revision
            .fetch_max(range.revision, Ordering::AcqRel);
        EtcdSnapshot {
            entries,
            revision: range.revision,
        }
    }
}

/// Reads one key (its full etcd name) for `${etcd:/key}`.
impl SecretStore for EtcdStore {
    fn scheme(&self) -> &str {
        "etcd"
    }

    async fn read(&self, key: &str) -> Result<SecretData, ProviderError> {
        let value = self
            .range(&Keys::one(key))
            .await?
            .kvs
            .into_iter()
            .next()
            .and_then(|kv| kv.value);
        match value {
            Some(value) => Ok(SecretData::text(value)),
            None => Err(ProviderError::new(
                ProviderErrorKind::NotFound,
                format!("etcd has no key `{key}`"),
            )),
        }
    }
}

impl EtcdSource {
    /// A builder for the keys under `prefix` (e.g. `/app/`) on these client URLs.
    pub fn builder<I, S>(endpoints: I, prefix: impl Into<String>) -> EtcdBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        EtcdBuilder {
            endpoints: endpoints
                .into_iter()
                .map(|e| e.into().trim_end_matches('/').to_owned())
                .collect(),
            prefix: prefix.into(),
            safeguards: Safeguards::default(),
            max_response_bytes: MAX_RESPONSE_BYTES,
            watch_idle_timeout: WATCH_IDLE_TIMEOUT,
        }
    }

    /// From `ETCD_ENDPOINTS` (comma-separated client URLs) and `ETCD_PREFIX` (default `/`).
    pub fn from_env() -> Result<Self, ProviderError> {
        let prefix = std::env::var("ETCD_PREFIX").unwrap_or_else(|_| "/".to_owned());
        EtcdSource::builder(endpoints_from_env()?, prefix).build()
    }

    /// Every key under the prefix (linearizable read).
    pub async fn snapshot(&self) -> Result<EtcdSnapshot, ProviderError> {
        let range = self.inner.range(&Keys::prefix(&self.inner.prefix)).await?;
        Ok(self.inner.snapshot_of(range, EtcdStore::config_key))
    }

    /// Watches the prefix from `after_revision + 1`: changes arrive on the returned channel
    /// as [`EtcdEvent::Change`]s. The watch survives member failures (it moves to another
    /// member and resumes after the last revision delivered); it ends when the receiver is
    /// dropped.
    ///
    /// When etcd has compacted the revisions the watch needs (`after_revision` is older than
    /// etcd's history, or etcd compacted while the watch was reconnecting), those changes
    /// cannot be delivered: the watch reads the prefix again and delivers it whole as an
    /// [`EtcdEvent::Resync`], then the changes after it. A consumer that keeps a copy of
    /// the keys (from [`snapshot`](Self::snapshot), then changes) replaces it with the
    /// resync's snapshot.
    pub fn watch(&self, after_revision: i64) -> mpsc::Receiver<EtcdEvent> {
        let keys = Keys::prefix(&self.inner.prefix);
        self.watch_keys(
            keys,
            after_revision,
            EtcdStore::config_key,
            Resync::Snapshot,
        )
    }

    /// Watches `keys` from `after_revision + 1`, naming each changed key with `name` (a key
    /// it answers `None` for is not delivered); the watch task of [`watch`](Self::watch),
    /// of [`Source::pushes`] and of [`EtcdFlags`]. `resync`: what a resync after a
    /// compaction delivers.
    fn watch_keys(
        &self,
        keys: Keys,
        after_revision: i64,
        name: KeyName,
        resync: Resync,
    ) -> mpsc::Receiver<EtcdEvent> {
        let (sender, receiver) = mpsc::channel(256);
        let source = self.clone();
        tokio::spawn(async move {
            let mut next = after_revision + 1;
            let mut backoff = Backoff::new();
            // Set when etcd compacted what the watch needed: read anew before watching again.
            let mut stale = false;
            loop {
                let healthy;
                if stale {
                    // Ends as soon as the receiver is gone, even while reading.
                    let read = tokio::select! {
                        () = sender.closed() => return,
                        read = source.resync(&keys, name, resync) => read,
                    };
                    match read {
                        Ok(snapshot) => {
                            tracing::info!(
                                target: "config_providers::etcd",
                                "etcd watch on {}: read anew at revision {}; following changes after it",
                                keys.describe(),
                                snapshot.revision
                            );
                            // Changes after the read follow; those up to it are in the read.
                            next = snapshot.revision + 1;
                            stale = false;
                            if sender.send(EtcdEvent::Resync(snapshot)).await.is_err() {
                                return;
                            }
                            continue;
                        }
                        Err(e) => {
                            tracing::warn!(
                                target: "config_providers::etcd",
                                "etcd watch on {}: cannot read anew after a compaction ({e}); retrying",
                                keys.describe()
                            );
                            healthy = false;
                        }
                    }
                } else {
                    let began = Instant::now();
                    // Ends as soon as the receiver is gone, even while waiting for a change.
                    let watched = tokio::select! {
                        () = sender.closed() => return,
                        watched = source.watch_once(&keys, name, next, &sender) => watched,
                    };
                    let (endpoint, end) = match watched {
                        Ok(ended) => ended,
                        Err(Stop) => return,
                    };
                    match end {
                        // The stream ended (member down, connection reset): resume elsewhere.
                        WatchEnd::Dropped {
                            delivered,
                            healthy: up,
                        } => {
                            next = delivered + 1;
                            healthy = up;
                        }
                        WatchEnd::Compacted {
                            delivered,
                            compact_revision,
                        } => {
                            tracing::warn!(
                                target: "config_providers::etcd",
                                "etcd at {endpoint} canceled the watch on {}: history up to revision {compact_revision} is compacted, the watch needed it from revision {next} (revision {delivered} delivered last); changes in between are lost, reading anew",
                                keys.describe(),
                            );
                            stale = true;
                            // Not a failure: read anew at once.
                            continue;
                        }
                        WatchEnd::Canceled { delivered, reason } => {
                            next = delivered + 1;
                            healthy = began.elapsed() >= HEALTHY_STREAM;
                            tracing::warn!(
                                target: "config_providers::etcd",
                                "etcd at {endpoint} canceled the watch on {} from revision {next}: {reason}; reconnecting",
                                keys.describe(),
                            );
                        }
                    }
                }
                let pause = backoff.pause(healthy);
                tokio::select! {
                    () = sender.closed() => return,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        });
        receiver
    }

    /// Reads `keys` anew after a compaction: the whole snapshot, or (for a consumer that
    /// reads again itself) only the cluster's revision. The consumer's own read comes after
    /// this one, so it sees at least this revision: watching after it misses nothing.
    async fn resync(
        &self,
        keys: &Keys,
        name: KeyName,
        resync: Resync,
    ) -> Result<EtcdSnapshot, ProviderError> {
        match resync {
            Resync::Snapshot => {
                let range = self.inner.range(keys).await?;
                Ok(self.inner.snapshot_of(range, name))
            }
            Resync::Revision => Ok(EtcdSnapshot {
                entries: Vec::new(),
                revision: self.inner.current_revision(keys).await?,
            }),
        }
    }

    /// One watch stream from `start`: the member it used, and how the stream ended.
    async fn watch_once(
        &self,
        keys: &Keys,
        name: KeyName,
        start: i64,
        sender: &mpsc::Sender<EtcdEvent>,
    ) -> Result<(String, WatchEnd), Stop> {
        let mut create = keys.request();
        create["start_revision"] = json!(start);
        // A quiet watch still hears from its member now and then, so silence means trouble.
        create["progress_notify"] = json!(true);
        let request = json!({ "create_request": create });
        let count = self.inner.endpoints.len();
        let index = self.inner.preferred.load(Ordering::Relaxed) % count;
        let endpoint = self.inner.endpoints[index].clone();
        // Try the next member next time.
        let next_member = || {
            self.inner
                .preferred
                .store((index + 1) % count, Ordering::Relaxed);
        };
        let mut delivered = start - 1;
        let response = match self
            .inner
            .http
            .post(format!("{endpoint}/v3/watch"))
            .json(&request)
            .send()
            .await
        {
            Ok(response) if response.status().is_success() => response,
            _ => {
                next_member();
                let end = WatchEnd::Dropped {
                    delivered,
                    healthy: false,
                };
                return Ok((endpoint, end));
            }
        };
        let opened = Instant::now();
        let mut response = response;
        let mut lines = LineBuffer::new(self.inner.max_response_bytes);
        loop {
            let idle = self.inner.watch_idle_timeout;
            let chunk = match tokio::time::timeout(idle, response.chunk()).await {
                Ok(Ok(Some(chunk))) => chunk,
                Err(_) => {
                    tracing::warn!(
                        target: "config_providers::etcd",
                        "etcd at {endpoint} sent nothing on a watch for {idle:?}; moving the watch to another member"
                    );
                    next_member();
                    let end = WatchEnd::Dropped {
                        delivered,
                        healthy: false,
                    };
                    return Ok((endpoint, end));
                }
                _ => {
                    next_member();
                    let end = WatchEnd::Dropped {
                        delivered,
                        healthy: opened.elapsed() >= HEALTHY_STREAM,
                    };
                    return Ok((endpoint, end));
                }
            };
            // The gateway writes one JSON object per line.
            for line in lines.push(&chunk) {
                let line = match line {
                    Line::Whole(line) => line,
                    Line::Oversize => {
                        let skipped = body::too_large(
                            &format!("a watch message of etcd at {endpoint}"),
                            self.inner.max_response_bytes,
                        );
                        tracing::warn!(target: "config_providers::etcd", "{skipped}; its changes are skipped");
                        continue;
                    }
                };
                let Some(message) = body::parse(&line) else {
                    continue;
                };
                let events = match watch_message(&message) {
                    WatchMessage::Events(events) => events,
                    // Returning drops the stream, which ends the watch on the member.
                    WatchMessage::Compacted(compact_revision) => {
                        let end = WatchEnd::Compacted {
                            delivered,
                            compact_revision,
                        };
                        return Ok((endpoint, end));
                    }
                    WatchMessage::Canceled(reason) => {
                        next_member();
                        return Ok((endpoint, WatchEnd::Canceled { delivered, reason }));
                    }
                };
                for event in events {
                    let kv = &event["kv"];
                    let revision = revision(&kv["mod_revision"]);
                    // Events of one revision (a transaction) share it: each is delivered.
                    if revision < start {
                        continue;
                    }
                    let Some(key) = unb64(&kv["key"]).and_then(|k| name(&self.inner, &k)) else {
                        continue;
                    };
                    let value = if event["type"] == "DELETE" {
                        None
                    } else {
                        Some(unb64(&kv["value"]).unwrap_or_default())
                    };
                    let change = EtcdChange {
                        revision,
                        key,
                        value,
                    };
                    if sender.send(EtcdEvent::Change(change)).await.is_err() {
                        return Err(Stop);
                    }
                    delivered = delivered.max(revision);
                }
            }
        }
    }
}

/// As a loader source (`.source(etcd)`): the keys under the prefix, as remote data (a
/// `${..}` in a value stays text), versioned by the cluster revision; etcd's watch pushes
/// changes to a `Live` config.
impl Source for EtcdSource {
    fn name(&self) -> String {
        format!("etcd {}", self.inner.prefix)
    }

    fn trust(&self) -> Trust {
        Trust::RemoteData
    }

    fn gather(&self, _: &GatherContext) -> Gathering<'_> {
        Gathering::Pending(Box::pin(async move {
            let snapshot = self.snapshot().await?;
            let name = self.name();
            let entries = snapshot
                .entries
                .into_iter()
                .map(|(key, value)| {
                    let origin = Origin::Remote {
                        source: name.clone(),
                        key: Some(key.clone()),
                    };
                    Entry::key(key, value, origin)
                })
                .collect();
            let version = Version::new(format!("revision {}", snapshot.revision));
            Ok(Gathered::new(entries).with_version(version))
        }))
    }

    /// etcd's watch on the prefix, from the latest gathering: one signal per change, and
    /// one after a compaction lost changes (the loader then gathers the prefix again).
    fn pushes(&self) -> Option<BoxStream<'static, ()>> {
        let receiver = self.watch_keys(
            Keys::prefix(&self.inner.prefix),
            self.inner.last_revision.load(Ordering::Acquire),
            EtcdStore::config_key,
            Resync::Revision,
        );
        Some(signals(receiver))
    }
}

/// How a watch names a changed etcd key (`None`: not delivered).
type KeyName = fn(&EtcdStore, &str) -> Option<String>;

/// What a watch delivers after a compaction lost changes.
#[derive(Debug, Clone, Copy)]
enum Resync {
    /// The keys read anew (the public [`EtcdSource::watch`]).
    Snapshot,
    /// Only the revision of a read, no values: the consumer reads again itself on the
    /// signal (`Live`, `EtcdFlags`).
    Revision,
}

/// A stream that yields once per event a watch delivers (a change, or a resync after a
/// compaction: either way the consumer reads again), and ends with the watch; dropping it
/// drops the receiver, which ends the watch task.
fn signals(mut receiver: mpsc::Receiver<EtcdEvent>) -> BoxStream<'static, ()> {
    futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx).map(|event| event.map(drop)))
        .boxed()
}

/// The receiver of a watch was dropped.
struct Stop;

/// How one watch stream ended (the receiver still listening).
#[derive(Debug, PartialEq, Eq)]
enum WatchEnd {
    /// The stream could not be opened or broke off (member down, connection reset);
    /// `healthy`: it had been open for [`HEALTHY_STREAM`].
    Dropped { delivered: i64, healthy: bool },
    /// etcd canceled the watch because its start revision was compacted: history before
    /// `compact_revision` is gone.
    Compacted {
        delivered: i64,
        compact_revision: i64,
    },
    /// etcd canceled the watch for another reason, given by etcd.
    Canceled { delivered: i64, reason: String },
}

/// What one message of a watch stream says.
#[derive(Debug, PartialEq)]
enum WatchMessage<'a> {
    /// Changes (possibly none: the message confirming the watch, a progress notice).
    Events(&'a [Value]),
    /// The watch was canceled: its start revision was compacted up to this revision.
    Compacted(i64),
    /// The watch was canceled (or the gateway reported an error) for this reason.
    Canceled(String),
}

/// Reads one message of the gateway's watch stream: `{"result": {"header": ..,
/// "events": [..]}}`, `{"result": {.., "canceled": true, "compact_revision": "N"}}` when the
/// start revision was compacted, `{"result": {.., "canceled": true, "cancel_reason": ".."}}`
/// when etcd canceled it otherwise, `{"error": {"message": ..}}` when the gateway failed.
fn watch_message(message: &Value) -> WatchMessage<'_> {
    let result = &message["result"];
    if result["canceled"].as_bool() == Some(true) {
        let compacted = revision(&result["compact_revision"]);
        if compacted > 0 {
            return WatchMessage::Compacted(compacted);
        }
        let reason = result["cancel_reason"]
            .as_str()
            .unwrap_or("no reason given");
        return WatchMessage::Canceled(reason.to_owned());
    }
    if let Some(error) = message.get("error") {
        let reason = error["message"].as_str().unwrap_or("no message");
        return WatchMessage::Canceled(format!("the gateway reported an error: {reason}"));
    }
    WatchMessage::Events(result["events"].as_array().map_or(&[], Vec::as_slice))
}

/// The first pause before a watch reconnects.
const RECONNECT_FIRST: Duration = Duration::from_millis(200);
/// The longest pause before a watch reconnects.
const RECONNECT_MAX: Duration = Duration::from_secs(5);
/// A stream open this long was healthy: the next reconnect waits [`RECONNECT_FIRST`] again.
const HEALTHY_STREAM: Duration = Duration::from_secs(10);

/// The pause before a watch reconnects: doubles from [`RECONNECT_FIRST`] to
/// [`RECONNECT_MAX`] while members keep failing, back to the first after a healthy stream.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Self {
        Backoff {
            next: RECONNECT_FIRST,
        }
    }

    /// The pause now; `healthy`: the stream that just ended had been up for a while.
    fn pause(&mut self, healthy: bool) -> Duration {
        if healthy {
            self.next = RECONNECT_FIRST;
        }
        let pause = self.next;
        self.next = (self.next * 2).min(RECONNECT_MAX);
        pause
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_and_key_mapping() {
        assert_eq!(BASE64.decode(prefix_end("/app/")).unwrap(), b"/app0");
        let source = EtcdSource::builder(["http://127.0.0.1:1"], "/app/")
            .build()
            .unwrap();
        assert_eq!(
            source.inner.config_key("/app/redis/host").as_deref(),
            Some("redis.host")
        );
        assert_eq!(source.inner.config_key("/other/x"), None);
        assert_eq!(Keys::prefix("/app/").describe(), "/app/*");
        assert_eq!(Keys::one("/flags/a.yaml").describe(), "/flags/a.yaml");
    }

    /// Messages as etcd 3.4's gateway writes them (taken from a real stream).
    #[test]
    fn watch_messages_tell_events_from_cancels() {
        let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        let created = parse(
            r#"{"result":{"header":{"cluster_id":"7801232528081817440","member_id":"13458989633860879742","revision":"6","raft_term":"2"},"created":true}}"#,
        );
        assert_eq!(watch_message(&created), WatchMessage::Events(&[]));
        let events = parse(
            r#"{"result":{"header":{"revision":"6"},"events":[{"kv":{"key":"L2FwcC9r","create_revision":"2","mod_revision":"5","version":"4","value":"djQ="}},{"type":"DELETE","kv":{"key":"L2FwcC9r","mod_revision":"6"}}]}}"#,
        );
        assert!(matches!(watch_message(&events), WatchMessage::Events(e) if e.len() == 2));
        let compacted = parse(
            r#"{"result":{"header":{"cluster_id":"7801232528081817440","member_id":"13458989633860879742","raft_term":"2"},"canceled":true,"compact_revision":"4"}}"#,
        );
        assert_eq!(watch_message(&compacted), WatchMessage::Compacted(4));
        let denied = parse(
            r#"{"result":{"header":{"revision":"9"},"canceled":true,"cancel_reason":"etcdserver: permission denied"}}"#,
        );
        assert_eq!(
            watch_message(&denied),
            WatchMessage::Canceled("etcdserver: permission denied".to_owned())
        );
        let bare = parse(r#"{"result":{"header":{},"canceled":true}}"#);
        assert_eq!(
            watch_message(&bare),
            WatchMessage::Canceled("no reason given".to_owned())
        );
        let error =
            parse(r#"{"error":{"grpc_code":14,"http_code":503,"message":"transport is closing"}}"#);
        assert!(
            matches!(watch_message(&error), WatchMessage::Canceled(r) if r.contains("transport is closing"))
        );
    }

    #[test]
    fn the_reconnect_pause_doubles_to_a_cap_and_resets_after_a_healthy_stream() {
        let mut backoff = Backoff::new();
        let pauses: Vec<u128> = (0..8).map(|_| backoff.pause(false).as_millis()).collect();
        assert_eq!(pauses, [200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        assert_eq!(backoff.pause(true), RECONNECT_FIRST);
        assert_eq!(backoff.pause(false), RECONNECT_FIRST * 2);
    }
}
