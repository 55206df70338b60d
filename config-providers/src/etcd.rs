//! etcd: keys under a prefix as configuration values, pushed to the application by etcd's
//! watch (no polling), and `${etcd:/key}` references.
//!
//! The client speaks etcd's v3 JSON gateway (`/v3/kv/range`, `/v3/watch`) over `reqwest`, so
//! no protobuf toolchain is needed to build it. It knows every member of the cluster and moves
//! to the next one when a member fails; a watch resumes from the last revision it delivered,
//! so no change is lost or repeated across a disconnect.
//!
//! Key mapping: under the prefix `/app/`, the key `/app/redis/host` is the config key
//! `redis.host` (slashes become dots).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use config_runtime::BoxFuture;
use config_runtime::source::{Entry, GatherContext, Gathered, Gathering, Source, Trust, Version};
use config_runtime::{Origin, ProviderError, ProviderErrorKind, SecretData, SecretProvider};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::cache::{SecretCache, read_through};
use crate::safeguards::Safeguards;

/// A handle to an etcd cluster and a key prefix; clones share the client.
#[derive(Clone)]
pub struct EtcdSource {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoints: Vec<String>,
    prefix: String,
    /// The member that answered last; requests start there.
    preferred: AtomicUsize,
    /// The revision of the latest snapshot: pushes follow from there.
    last_revision: AtomicI64,
    /// Cache and audit of `${etcd:..}` references.
    cache: Arc<SecretCache>,
}

impl std::fmt::Debug for EtcdSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdSource")
            .field("endpoints", &self.inner.endpoints)
            .field("prefix", &self.inner.prefix)
            .finish()
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

/// Changes delivered by a watch, in revision order.
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

impl EtcdSource {
    /// A source for the keys under `prefix` (e.g. `/app/`) on these client URLs.
    pub fn new<I, S>(endpoints: I, prefix: impl Into<String>) -> Result<Self, ProviderError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let endpoints: Vec<String> = endpoints
            .into_iter()
            .map(|e| e.into().trim_end_matches('/').to_owned())
            .collect();
        if endpoints.is_empty() {
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
        Ok(EtcdSource {
            inner: Arc::new(Inner {
                http,
                endpoints,
                prefix: prefix.into(),
                preferred: AtomicUsize::new(0),
                last_revision: AtomicI64::new(0),
                cache: Safeguards::default().into_cache("etcd"),
            }),
        })
    }

    /// From `ETCD_ENDPOINTS` (comma-separated client URLs) and `ETCD_PREFIX` (default `/`).
    pub fn from_env() -> Result<Self, ProviderError> {
        let endpoints = std::env::var("ETCD_ENDPOINTS").map_err(|_| {
            ProviderError::new(ProviderErrorKind::Invalid, "ETCD_ENDPOINTS is not set")
        })?;
        let prefix = std::env::var("ETCD_PREFIX").unwrap_or_else(|_| "/".to_owned());
        EtcdSource::new(endpoints.split(',').map(str::trim), prefix)
    }

    /// The config key of an etcd key under the prefix.
    fn config_key(&self, key: &str) -> Option<String> {
        let rest = key.strip_prefix(&self.inner.prefix)?;
        Some(rest.trim_matches('/').replace('/', "."))
    }

    /// POSTs to the first member that answers, starting with the last good one.
    async fn post(
        &self,
        path: &str,
        body: &Value,
        timeout: Duration,
    ) -> Result<Value, ProviderError> {
        let count = self.inner.endpoints.len();
        let start = self.inner.preferred.load(Ordering::Relaxed);
        let mut last = String::new();
        for step in 0..count {
            let index = (start + step) % count;
            let endpoint = &self.inner.endpoints[index];
            let sent = self
                .inner
                .http
                .post(format!("{endpoint}{path}"))
                .json(body)
                .timeout(timeout)
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {
                    self.inner.preferred.store(index, Ordering::Relaxed);
                    return response.json().await.map_err(|_| {
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

    /// Every key under the prefix (linearizable read).
    pub async fn snapshot(&self) -> Result<EtcdSnapshot, ProviderError> {
        let prefix = &self.inner.prefix;
        let body = json!({ "key": b64(prefix), "range_end": prefix_end(prefix) });
        let answer = self
            .post("/v3/kv/range", &body, Duration::from_secs(5))
            .await?;
        let revision = answer["header"]["revision"]
            .as_str()
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        let mut entries: Vec<(String, String)> = answer["kvs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|kv| {
                let key = self.config_key(&unb64(&kv["key"])?)?;
                Some((key, unb64(&kv["value"]).unwrap_or_default()))
            })
            .collect();
        entries.sort();
        self.inner
            .last_revision
            .fetch_max(revision, Ordering::AcqRel);
        Ok(EtcdSnapshot { entries, revision })
    }

    /// Watches the prefix from `after_revision + 1`: changes arrive on the returned channel.
    /// The watch survives member failures (it moves to another member and resumes after the
    /// last revision delivered); it ends when the receiver is dropped.
    pub fn watch(&self, after_revision: i64) -> mpsc::Receiver<EtcdChange> {
        let (sender, receiver) = mpsc::channel(256);
        let source = self.clone();
        tokio::spawn(async move {
            let mut next = after_revision + 1;
            loop {
                // Ends as soon as the receiver is gone, even while waiting for a change.
                tokio::select! {
                    () = sender.closed() => return,
                    watched = source.watch_once(next, &sender) => match watched {
                        Ok(delivered_up_to) => next = delivered_up_to + 1,
                        Err(Stop) => return,
                    },
                }
                // The stream ended (member down, connection reset): resume elsewhere.
                tokio::select! {
                    () = sender.closed() => return,
                    () = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
            }
        });
        receiver
    }

    /// One watch stream from `start`; returns the last revision delivered (or `start - 1`).
    async fn watch_once(&self, start: i64, sender: &mpsc::Sender<EtcdChange>) -> Result<i64, Stop> {
        let prefix = &self.inner.prefix;
        let request = json!({ "create_request": {
            "key": b64(prefix), "range_end": prefix_end(prefix), "start_revision": start
        }});
        let count = self.inner.endpoints.len();
        let index = self.inner.preferred.load(Ordering::Relaxed) % count;
        let endpoint = &self.inner.endpoints[index];
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
                // Try the next member next time.
                self.inner
                    .preferred
                    .store((index + 1) % count, Ordering::Relaxed);
                return Ok(delivered);
            }
        };
        let mut response = response;
        let mut buffer: Vec<u8> = Vec::new();
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                _ => {
                    self.inner
                        .preferred
                        .store((index + 1) % count, Ordering::Relaxed);
                    return Ok(delivered);
                }
            };
            buffer.extend_from_slice(&chunk);
            // The gateway writes one JSON object per line.
            while let Some(end) = buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = buffer.drain(..=end).collect();
                let Ok(message) = serde_json::from_slice::<Value>(&line) else {
                    continue;
                };
                for event in message["result"]["events"].as_array().into_iter().flatten() {
                    let kv = &event["kv"];
                    let revision = kv["mod_revision"]
                        .as_str()
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(0);
                    if revision <= delivered {
                        continue;
                    }
                    let Some(key) = unb64(&kv["key"]).and_then(|k| self.config_key(&k)) else {
                        continue;
                    };
                    let value = if event["type"] == "DELETE" {
                        None
                    } else {
                        Some(unb64(&kv["value"]).unwrap_or_default())
                    };
                    if sender
                        .send(EtcdChange {
                            revision,
                            key,
                            value,
                        })
                        .await
                        .is_err()
                    {
                        return Err(Stop);
                    }
                    delivered = revision;
                }
            }
        }
    }

    /// Reads one key (its full etcd name).
    pub async fn get(&self, key: &str) -> Result<Option<String>, ProviderError> {
        let answer = self
            .post(
                "/v3/kv/range",
                &json!({ "key": b64(key) }),
                Duration::from_secs(5),
            )
            .await?;
        Ok(answer["kvs"]
            .as_array()
            .and_then(|kvs| kvs.first())
            .and_then(|kv| unb64(&kv["value"])))
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

    fn pushes(&self) -> Option<futures_util::stream::BoxStream<'static, ()>> {
        use futures_util::StreamExt;
        let receiver = self.watch(self.inner.last_revision.load(Ordering::Acquire));
        let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|_| ((), receiver))
        });
        Some(stream.boxed())
    }
}

/// The receiver of a watch was dropped.
struct Stop;

impl SecretProvider for EtcdSource {
    fn scheme(&self) -> &str {
        "etcd"
    }

    fn fetch<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<SecretData, ProviderError>> {
        Box::pin(read_through(
            &self.inner.cache,
            self,
            path,
            |this: Self, key| async move {
                match this.get(&key).await? {
                    Some(value) => Ok(SecretData::text(value)),
                    None => Err(ProviderError::new(
                        ProviderErrorKind::NotFound,
                        format!("etcd has no key `{key}`"),
                    )),
                }
            },
        ))
    }

    fn invalidate(&self, path: &str) {
        self.inner.cache.invalidate(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_and_key_mapping() {
        assert_eq!(BASE64.decode(prefix_end("/app/")).unwrap(), b"/app0");
        let source = EtcdSource::new(["http://127.0.0.1:1"], "/app/").unwrap();
        assert_eq!(
            source.config_key("/app/redis/host").as_deref(),
            Some("redis.host")
        );
        assert_eq!(source.config_key("/other/x"), None);
    }
}
