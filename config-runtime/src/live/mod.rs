//! Live configuration: a config that follows its sources while the program runs.
//!
//! ```no_run
//! # use config_runtime::{Config, live::Live};
//! # #[derive(Config)] struct AppConfig { #[config(default = 8080)] port: u16 }
//! # async fn run() -> Result<(), config_runtime::ConfigError> {
//! let live: Live<AppConfig> = AppConfig::loader().file("config.toml").env().watch().await?;
//! let port = live.get().port;           // an Arc<AppConfig>: lock-free, never blocks
//! let port = live.load().port;          // a guard: no reference-count traffic
//! let mut local = live.cache();         // per-thread: a read is a generation check
//! let port = local.load().port;
//! let mut events = live.subscribe();    // ReloadEvent::Applied / Rejected
//! live.reload().await?;                 // reload now
//! # Ok(()) }
//! ```
//!
//! # How a reload works
//! A change of a watched input (or [`Live::reload`], or SIGHUP when enabled) re-runs the whole
//! load, exactly like `load_async`: merge, references (providers answer from their own caches),
//! validation. Only a fully valid result is swapped in; a failed one leaves the current
//! snapshot in place and is reported as [`ReloadEvent::Rejected`].
//!
//! Which keys changed is decided by comparing a fingerprint of each leaf's resolved raw value
//! (a keyed, randomly seeded SipHash: fingerprints reveal nothing about values). `restart`
//! fields that changed are kept at the value the process started with: the new snapshot is
//! assembled with their raw values pinned to the running ones (the change itself must still
//! be valid), so the kept value is exactly what was running. A changed `restart` field is
//! listed once, in the reload that first saw the change, under `restart_required`.
//!
//! # Rotation grace period
//! When a reload changes a secret field, the snapshot it replaced stays available through
//! [`Live::previous`] for [`WatchOptions::rotation_grace`] (5 minutes by default), so an
//! application can still accept, say, tokens signed with the previous key. After the window
//! the old snapshot is dropped.
//!
//! # Lifetime
//! Watching runs on a tokio task spawned by `watch()` (so it needs a tokio runtime). It ends
//! when the last `Live` handle is dropped, and so do notify's watcher threads.

mod event;
mod metrics;
mod watch;

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::{ArcSwap, ArcSwapOption};
use tokio::sync::{broadcast, mpsc, oneshot};

pub use arc_swap::Guard;
pub use event::{Applied, ReloadEvent, ReloadOutcome};
pub use metrics::ReloadMetrics;

use crate::Config;
use crate::error::ConfigError;
use crate::loader::Loader;
use crate::origin::Sourced;
use crate::value::RawValue;
use watch::{Input, Watcher, inputs_hash};

/// How many events a slow subscriber may fall behind before it sees `Lagged`.
const EVENT_CAPACITY: usize = 64;

/// Options of [`Loader::watch_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WatchOptions {
    /// Quiet time after the last file event before a reload (default 50 ms).
    pub debounce: Duration,
    /// Interval of the polling fallback (default 1 s).
    pub poll_interval: Duration,
    /// Poll instead of native events even when native watching works (network file systems).
    pub force_poll: bool,
    /// How long the snapshot before a secret change stays available through
    /// [`Live::previous`] (default 5 minutes; zero turns it off).
    pub rotation_grace: Duration,
    /// Reload on SIGHUP (unix only; ignored elsewhere). Off by default.
    pub reload_on_sighup: bool,
    /// How often providers that can tell (Vault KV v2, …) are asked for the current version of
    /// each referenced secret, with up to 10 % random jitter; only a secret whose version moved
    /// is fetched again (default 30 s; zero turns polling off).
    pub remote_poll_interval: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            debounce: Duration::from_millis(50),
            poll_interval: Duration::from_secs(1),
            force_poll: false,
            rotation_grace: Duration::from_secs(300),
            reload_on_sighup: false,
            remote_poll_interval: Duration::from_secs(30),
        }
    }
}

impl WatchOptions {
    /// Sets [`debounce`](Self::debounce).
    pub fn debounce(mut self, debounce: Duration) -> Self {
        self.debounce = debounce;
        self
    }

    /// Sets [`poll_interval`](Self::poll_interval).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Sets [`force_poll`](Self::force_poll).
    pub fn force_poll(mut self, force: bool) -> Self {
        self.force_poll = force;
        self
    }

    /// Sets [`rotation_grace`](Self::rotation_grace).
    pub fn rotation_grace(mut self, grace: Duration) -> Self {
        self.rotation_grace = grace;
        self
    }

    /// Sets [`reload_on_sighup`](Self::reload_on_sighup).
    pub fn reload_on_sighup(mut self, enabled: bool) -> Self {
        self.reload_on_sighup = enabled;
        self
    }

    /// Sets [`remote_poll_interval`](Self::remote_poll_interval).
    pub fn remote_poll_interval(mut self, interval: Duration) -> Self {
        self.remote_poll_interval = interval;
        self
    }
}

impl<T: Config + Send + Sync> Loader<T> {
    /// Loads once (an error is returned as is), then keeps the config up to date: every file
    /// and `.env` source (profile variants and optional files that do not exist yet included),
    /// every directory source and every file a `${file:..}` reference names is watched, and
    /// each change is reloaded and validated before it is swapped in. See [`Live`]. Needs a
    /// tokio runtime.
    pub async fn watch(self) -> Result<Live<T>, ConfigError> {
        self.watch_with(WatchOptions::default()).await
    }

    /// [`watch`](Self::watch) with options (debounce, polling, rotation grace, SIGHUP).
    pub async fn watch_with(self, options: WatchOptions) -> Result<Live<T>, ConfigError> {
        Live::start(self, options).await.map(|(live, _task)| live)
    }
}

/// A configuration that follows its sources: a lock-free pointer to the current, fully valid
/// snapshot, swapped atomically on each successful reload. Get one with
/// [`Loader::watch`]. Handles are cheap to clone; watching stops when the last one is dropped.
pub struct Live<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for Live<T> {
    fn clone(&self) -> Self {
        Live {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> std::fmt::Debug for Live<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("version", &self.version())
            .finish_non_exhaustive()
    }
}

/// A per-thread reader of a [`Live`] (see [`Live::cache`]): [`load`](LiveCache::load) is a
/// generation check while nothing changed.
pub struct LiveCache<T> {
    cache: arc_swap::Cache<Arc<ArcSwap<T>>, Arc<T>>,
}

impl<T> LiveCache<T> {
    /// The current snapshot. Cheap: refreshes only after a reload.
    pub fn load(&mut self) -> &Arc<T> {
        self.cache.load()
    }
}

impl<T> std::fmt::Debug for LiveCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCache").finish_non_exhaustive()
    }
}

/// The snapshot that a secret change replaced, and until when it is offered.
struct Rotated<T> {
    snapshot: Arc<T>,
    until: Instant,
}

struct Inner<T> {
    current: Arc<ArcSwap<T>>,
    version: AtomicU64,
    events: broadcast::Sender<ReloadEvent>,
    metrics: Mutex<ReloadMetrics>,
    previous: ArcSwapOption<Rotated<T>>,
    rotation_grace: Duration,
    /// Reloads run one at a time, under this lock.
    reloader: tokio::sync::Mutex<Reloader<T>>,
    /// Dropped with the last handle: the watch task sees it and ends.
    _stop: oneshot::Sender<()>,
}

/// The state a reload compares against.
struct Reloader<T> {
    loader: Loader<T>,
    inputs: Arc<[Input]>,
    keys: RandomState,
    /// Hash of the inputs at the latest load attempt.
    inputs_hash: u64,
    /// Fingerprint of each leaf of the running snapshot (`restart` leaves: the running value).
    running: Vec<u64>,
    /// Raw values of the `restart` leaves the process runs with (index, value).
    kept: Vec<(usize, Option<Sourced>)>,
    /// Latest fingerprint reported as needing a restart, per `restart` leaf.
    reported: Vec<u64>,
    /// Store version of each provider secret the running snapshot was loaded with.
    secret_versions: HashMap<(String, String), String>,
}

impl<T: Config + Send + Sync> Live<T> {
    async fn start(
        loader: Loader<T>,
        options: WatchOptions,
    ) -> Result<(Self, tokio::task::JoinHandle<()>), ConfigError> {
        let inputs: Arc<[Input]> = loader
            .watched_paths()
            .into_iter()
            .map(|(path, dir)| Input { path, dir })
            .collect();
        // Watch before the first load, so no change after it can be missed.
        let (notify_tx, notify_rx) = mpsc::unbounded_channel();
        let watcher = Watcher::start(&inputs, &options, notify_tx);
        let keys = RandomState::new();
        let hash = inputs_hash(&inputs, &keys);
        let (config, resolved, secret_versions) = loader.load_pinned(|_| Vec::new()).await?;

        let schema = T::schema();
        let running: Vec<u64> = resolved.iter().map(|v| fingerprint(&keys, v)).collect();
        let kept = restart_indices::<T>()
            .map(|i| (i, resolved[i].clone()))
            .collect();
        let reported = running.clone();
        debug_assert_eq!(running.len(), schema.fields.len());
        let (stop_tx, stop_rx) = oneshot::channel();
        let inner = Arc::new(Inner {
            current: Arc::new(ArcSwap::from_pointee(config)),
            version: AtomicU64::new(1),
            events: broadcast::channel(EVENT_CAPACITY).0,
            metrics: Mutex::new(ReloadMetrics {
                last_success: Some(SystemTime::now()),
                ..ReloadMetrics::default()
            }),
            previous: ArcSwapOption::empty(),
            rotation_grace: options.rotation_grace,
            reloader: tokio::sync::Mutex::new(Reloader {
                loader,
                inputs: Arc::clone(&inputs),
                keys,
                inputs_hash: hash,
                running,
                kept,
                reported,
                secret_versions,
            }),
            _stop: stop_tx,
        });
        tracing::info!(
            config = schema.type_name,
            inputs = inputs.len(),
            polling = watcher.is_polling(),
            "watching configuration"
        );
        for source in inner_remote_sources(&inner).await {
            if let Some(changes) = source.changes() {
                tokio::spawn(follow_pushes(
                    Arc::downgrade(&inner),
                    source.describe(),
                    changes,
                ));
            }
        }
        if !options.remote_poll_interval.is_zero() {
            tokio::spawn(poll_providers(
                Arc::downgrade(&inner),
                options.remote_poll_interval,
            ));
        }
        let task = tokio::spawn(watch_task(
            Arc::downgrade(&inner),
            inputs,
            watcher,
            notify_rx,
            stop_rx,
            // Listen before returning: a SIGHUP right after `watch()` must not kill the process.
            Hangup::new(options.reload_on_sighup),
        ));
        Ok((Live { inner }, task))
    }

    /// Reloads now, whatever the watcher saw: the whole load runs again (providers answer
    /// from their caches). On success the outcome says what changed (and subscribers got the
    /// same [`ReloadEvent::Applied`]); on failure the current snapshot stays, subscribers get
    /// [`ReloadEvent::Rejected`] and the error is returned.
    pub async fn reload(&self) -> Result<ReloadOutcome, ConfigError> {
        let mut reloader = self.inner.reloader.lock().await;
        reloader.inputs_hash = inputs_hash(&reloader.inputs, &reloader.keys);
        self.inner.reload_locked(&mut reloader).await
    }
}

impl<T> Live<T> {
    /// The current snapshot. Lock-free; never waits for a reload.
    pub fn get(&self) -> Arc<T> {
        self.inner.current.load_full()
    }

    /// The current snapshot behind a guard, without touching the reference count: for hot
    /// paths. Do not hold guards for long (many at once fall back to a slower path).
    pub fn load(&self) -> Guard<Arc<T>> {
        self.inner.current.load()
    }

    /// A reader for one thread whose [`load`](LiveCache::load) costs a generation check while
    /// nothing changes: for the hottest loops. It keeps the snapshot it saw alive until its
    /// next `load`.
    pub fn cache(&self) -> LiveCache<T> {
        LiveCache {
            cache: arc_swap::Cache::new(Arc::clone(&self.inner.current)),
        }
    }

    /// Events of every later reload (a tokio broadcast: a receiver that falls more than 64
    /// events behind gets `Lagged` and then the latest ones).
    pub fn subscribe(&self) -> broadcast::Receiver<ReloadEvent> {
        self.inner.events.subscribe()
    }

    /// The version of the current snapshot: 1 for the first load, then one more per applied
    /// reload. It only grows. (Read separately from [`get`](Self::get): a reload may fall
    /// between the two reads.)
    pub fn version(&self) -> u64 {
        self.inner.version.load(Ordering::Acquire)
    }

    /// The snapshot that was current before the latest reload that changed a secret field,
    /// while that reload is younger than [`WatchOptions::rotation_grace`]; `None` otherwise.
    /// Read the secret fields from it to accept what the previous secret signed while the
    /// new one rolls out.
    pub fn previous(&self) -> Option<Arc<T>> {
        let rotated = self.inner.previous.load_full()?;
        (Instant::now() < rotated.until).then(|| Arc::clone(&rotated.snapshot))
    }

    /// Counts of applied, rejected and restart-blocked reloads, the latest error and the time
    /// of the latest success.
    pub fn metrics(&self) -> ReloadMetrics {
        lock(&self.inner.metrics).clone()
    }
}

impl<T: Config + Send + Sync> Inner<T> {
    /// A watched input changed: reload unless its content is what the latest attempt saw.
    async fn inputs_changed(self: &Arc<Self>) {
        let mut reloader = self.reloader.lock().await;
        let hash = inputs_hash(&reloader.inputs, &reloader.keys);
        if hash == reloader.inputs_hash {
            tracing::trace!("config inputs unchanged; no reload");
            return;
        }
        reloader.inputs_hash = hash;
        // Errors are reported through events, metrics and the log.
        let _ = self.reload_locked(&mut reloader).await;
    }

    async fn reload_locked(
        self: &Arc<Self>,
        reloader: &mut Reloader<T>,
    ) -> Result<ReloadOutcome, ConfigError> {
        let schema = T::schema();
        let result = {
            let Reloader {
                loader,
                keys,
                running,
                kept,
                ..
            } = &*reloader;
            loader
                .load_pinned(|resolved| {
                    kept.iter()
                        .filter(|(i, _)| fingerprint(keys, &resolved[*i]) != running[*i])
                        .cloned()
                        .collect()
                })
                .await
        };
        let (config, resolved) = match result {
            Ok((config, resolved, versions)) => {
                reloader.secret_versions = versions;
                (config, resolved)
            }
            Err(error) => {
                self.rejected(&error);
                return Err(error);
            }
        };

        let mut changed = Vec::new();
        let mut restart_required = Vec::new();
        let mut secret_changed = false;
        for (i, field) in schema.fields.iter().enumerate() {
            let new = fingerprint(&reloader.keys, &resolved[i]);
            if field.restart {
                if new != reloader.running[i] && new != reloader.reported[i] {
                    restart_required.push(field.path.clone());
                }
                reloader.reported[i] = new;
            } else if new != reloader.running[i] {
                changed.push(field.path.clone());
                secret_changed |= field.secret;
                reloader.running[i] = new;
            }
        }
        let now = SystemTime::now();
        if changed.is_empty() && restart_required.is_empty() {
            let version = self.version.load(Ordering::Acquire);
            lock(&self.metrics).last_success = Some(now);
            tracing::debug!(version, "config reloaded; nothing changed");
            return Ok(ReloadOutcome::Unchanged { version });
        }

        let old = self.current.swap(Arc::new(config));
        let version = self.version.fetch_add(1, Ordering::AcqRel) + 1;
        if secret_changed && !self.rotation_grace.is_zero() {
            self.keep_previous(old);
        }
        let metrics = {
            let mut metrics = lock(&self.metrics);
            metrics.applied += 1;
            metrics.restart_blocked += u64::from(!restart_required.is_empty());
            metrics.last_success = Some(now);
            metrics.clone()
        };
        tracing::info!(
            version,
            changed = ?changed,
            restart_required = ?restart_required,
            applied = metrics.applied,
            rejected = metrics.rejected,
            restart_blocked = metrics.restart_blocked,
            "config reload applied"
        );
        let applied = Applied {
            version,
            changed,
            restart_required,
        };
        let _ = self.events.send(ReloadEvent::Applied(applied.clone()));
        Ok(ReloadOutcome::Applied(applied))
    }

    fn rejected(&self, error: &ConfigError) {
        let metrics = {
            let mut metrics = lock(&self.metrics);
            metrics.rejected += 1;
            metrics.last_error = Some(error.to_string());
            metrics.last_error_at = Some(SystemTime::now());
            metrics.clone()
        };
        tracing::warn!(
            error = %error,
            applied = metrics.applied,
            rejected = metrics.rejected,
            restart_blocked = metrics.restart_blocked,
            "config reload rejected; keeping the current snapshot"
        );
        let _ = self.events.send(ReloadEvent::Rejected {
            error: Arc::new(error.clone()),
        });
    }

    /// Offers `old` through `previous()` for the grace window, then drops it.
    fn keep_previous(self: &Arc<Self>, old: Arc<T>) {
        let rotated = Arc::new(Rotated {
            snapshot: old,
            until: Instant::now() + self.rotation_grace,
        });
        self.previous.store(Some(Arc::clone(&rotated)));
        let weak = Arc::downgrade(self);
        let grace = self.rotation_grace;
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            if let Some(inner) = weak.upgrade() {
                let current = inner.previous.load();
                if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, &rotated)) {
                    inner.previous.store(None);
                }
            }
        });
    }
}

/// Follows the watcher (and SIGHUP) until the last handle is dropped.
async fn watch_task<T: Config + Send + Sync>(
    inner: Weak<Inner<T>>,
    inputs: Arc<[Input]>,
    mut watcher: Watcher,
    mut changes: mpsc::UnboundedReceiver<()>,
    mut stop: oneshot::Receiver<()>,
    mut hangup: Hangup,
) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            Some(()) = changes.recv() => {
                while changes.try_recv().is_ok() {}
                watcher.sync(&inputs);
                let Some(inner) = inner.upgrade() else { break };
                inner.inputs_changed().await;
            }
            () = hangup.recv() => {
                let Some(inner) = inner.upgrade() else { break };
                tracing::info!("SIGHUP: reloading the configuration");
                let mut reloader = inner.reloader.lock().await;
                reloader.inputs_hash = inputs_hash(&reloader.inputs, &reloader.keys);
                let _ = inner.reload_locked(&mut reloader).await;
            }
        }
    }
    tracing::debug!("config watching stopped: the last Live handle was dropped");
}

/// Asks the providers for the versions of the referenced secrets every `interval` (plus
/// jitter, so a fleet does not poll in step); when one moved, drops that secret from its
/// provider's cache and reloads. Ends with the last `Live` handle.
async fn poll_providers<T: Config + Send + Sync>(inner: Weak<Inner<T>>, interval: Duration) {
    loop {
        tokio::time::sleep(interval + interval.mul_f64(jitter_fraction() * 0.1)).await;
        let Some(inner) = inner.upgrade() else { return };
        let mut reloader = inner.reloader.lock().await;
        let mut moved = Vec::new();
        for (key, version) in reloader.loader.provider_versions().await {
            let loaded = reloader.secret_versions.get(&key);
            if let (Some(now), Some(loaded)) = (version, loaded)
                && now != *loaded
            {
                moved.push((key, loaded.clone(), now));
            }
        }
        if moved.is_empty() {
            continue;
        }
        for ((scheme, path), old, new) in &moved {
            tracing::info!(
                scheme,
                path,
                old,
                new,
                "a referenced secret has a new version"
            );
            reloader.loader.invalidate_secret(scheme, path);
        }
        // Errors are reported through events, metrics and the log.
        let _ = inner.reload_locked(&mut reloader).await;
    }
}

/// The loader's remote sources (read under the reload lock).
async fn inner_remote_sources<T: Config + Send + Sync>(
    inner: &Arc<Inner<T>>,
) -> Vec<Arc<dyn crate::provider::RemoteSource>> {
    inner.reloader.lock().await.loader.remote_sources()
}

/// Reloads whenever a remote source pushes a change (etcd's watch: no polling). Ends with
/// the last `Live` handle or when the source's stream ends.
async fn follow_pushes<T: Config + Send + Sync>(
    inner: Weak<Inner<T>>,
    name: String,
    mut changes: futures_util::stream::BoxStream<'static, ()>,
) {
    use futures_util::StreamExt;
    while changes.next().await.is_some() {
        let Some(inner) = inner.upgrade() else { return };
        tracing::debug!(source = %name, "remote source changed; reloading");
        let mut reloader = inner.reloader.lock().await;
        // Errors are reported through events, metrics and the log.
        let _ = inner.reload_locked(&mut reloader).await;
    }
}

/// A number in [0, 1) from the clock's low bits: enough to spread a fleet's polls.
fn jitter_fraction() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 1000) / 1000.0
}

/// SIGHUP, when asked for and available.
struct Hangup {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Hangup {
    fn new(enabled: bool) -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signal = enabled
                .then(|| signal(SignalKind::hangup()))
                .and_then(|result| {
                    result
                        .map_err(|e| tracing::warn!(error = %e, "cannot listen for SIGHUP"))
                        .ok()
                });
            Hangup { signal }
        }
        #[cfg(not(unix))]
        {
            if enabled {
                tracing::warn!("reload on SIGHUP is only available on unix");
            }
            Hangup {}
        }
    }

    /// The next SIGHUP; pending forever when not listening.
    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = self.signal.as_mut()
            && signal.recv().await.is_some()
        {
            return;
        }
        std::future::pending::<()>().await
    }
}

/// Indices of the `restart` leaves.
fn restart_indices<T: Config>() -> impl Iterator<Item = usize> {
    T::schema()
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.restart)
        .map(|(i, _)| i)
}

/// A keyed fingerprint of one resolved leaf value (unset included).
fn fingerprint(keys: &RandomState, value: &Option<Sourced>) -> u64 {
    let mut hasher = keys.build_hasher();
    match value.as_ref().map(|v| &v.raw) {
        None => 0u8.hash(&mut hasher),
        Some(RawValue::Str(text)) => {
            1u8.hash(&mut hasher);
            text.hash(&mut hasher);
        }
        Some(RawValue::List(items)) => {
            2u8.hash(&mut hasher);
            items.hash(&mut hasher);
        }
    }
    hasher.finish()
}

fn lock<M>(mutex: &Mutex<M>) -> std::sync::MutexGuard<'_, M> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(all(test, feature = "derive", feature = "toml"))]
mod tests {
    use super::*;

    #[derive(crate::Config, Debug)]
    #[config(crate = "crate", prefix = "T")]
    struct Small {
        /// A port.
        #[config(default = 1)]
        port: u16,
    }

    #[tokio::test]
    async fn the_watch_task_ends_with_the_last_handle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.toml");
        std::fs::write(&path, "port = 2\n").unwrap();
        for force_poll in [false, true] {
            let options = WatchOptions::default().force_poll(force_poll);
            let (live, task) = Live::start(Small::loader().file(&path), options)
                .await
                .unwrap();
            assert_eq!(live.get().port, 2);
            let other = live.clone();
            drop(live);
            tokio::task::yield_now().await;
            assert!(!task.is_finished(), "a clone still watches");
            drop(other);
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("the watch task ends once every handle is gone")
                .unwrap();
        }
    }

    #[test]
    fn fingerprints_tell_values_apart_and_are_keyed() {
        let keys = RandomState::new();
        let value = |text: &str| {
            Some(Sourced::new(
                RawValue::Str(text.into()),
                crate::Origin::Default,
            ))
        };
        assert_eq!(
            fingerprint(&keys, &value("a")),
            fingerprint(&keys, &value("a"))
        );
        assert_ne!(
            fingerprint(&keys, &value("a")),
            fingerprint(&keys, &value("b"))
        );
        assert_ne!(fingerprint(&keys, &value("")), fingerprint(&keys, &None));
        let list = Some(Sourced::new(
            RawValue::List(vec!["a".into()]),
            crate::Origin::Default,
        ));
        assert_ne!(fingerprint(&keys, &value("a")), fingerprint(&keys, &list));
        let other = RandomState::new();
        assert_ne!(
            fingerprint(&keys, &value("a")),
            fingerprint(&other, &value("a"))
        );
    }
}
