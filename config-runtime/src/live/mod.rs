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
//! One task follows every input with one `select!`: file events, pushes of remote sources
//! (etcd's watch), the poll interval (secret versions, polled sources), SIGHUP, requests from
//! [`Live::reload`], and the drop of the last handle. It keeps what each source gave at the
//! latest load and gathers again only the sources whose input moved (a file event on a path
//! the source reads, a push from it, a new version); a provider version poll reads no file.
//! The new gatherings then run through the same pure steps as `load_async` (merge, resolve,
//! assemble): only a fully valid result is swapped in; a failed one leaves the current
//! snapshot in place and is reported as [`ReloadEvent::Rejected`]. [`Live::reload`] and
//! SIGHUP gather everything again (providers answer from their caches).
//!
//! Files are read off the async workers on a multi-threaded runtime, regular files only and
//! within the loader's size cap. A watched file that was emptied while it had content is read
//! only after [`WatchOptions::empty_file_settle`] (a truncate-then-write must not be applied
//! while empty). The watcher itself never reads a file: when it polls, the task compares
//! `stat` stamps (size, modification time, inode).
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
//! # Runtime overrides
//! [`Live::set_override`] sets a key over every source until [`Live::clear_override`]; the
//! watch task merges the overrides as the last layer of every build, so a file reload keeps
//! them. A change is built and validated like a reload before it is swapped in (refused, with
//! nothing changed, when invalid, for an unknown key, or for a `restart` field) and recorded
//! in [`Live::audit`] with fingerprints of the old and new values, never the values.
//! [`Live::explain`] and [`Live::fingerprints`] describe the running snapshot for the admin
//! routes of `config_runtime::http` and for `app diff`.
//!
//! # Lifetime
//! Watching runs on one tokio task spawned by `watch()` (so it needs a tokio runtime). It ends
//! when the last `Live` handle is dropped, even in the middle of a reload, and with it the push
//! streams of remote sources and notify's watcher threads.

mod event;
mod metrics;
mod overrides;
mod running;
pub(crate) mod watch;

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::{ArcSwap, ArcSwapOption};
use futures_util::StreamExt;
use futures_util::stream::{BoxStream, SelectAll};
use tokio::sync::{broadcast, mpsc, oneshot};

pub use arc_swap::Guard;
pub use event::{Applied, ReloadEvent, ReloadOutcome};
pub use metrics::ReloadMetrics;
use metrics::Signal;
pub use overrides::{OverrideChange, OverrideError, OverrideRecord};

use crate::Config;
use crate::assemble::{MergedTexts, Rows};
use crate::error::ConfigError;
use crate::explain::Explain;
use crate::fingerprint::{Digest, Fingerprint, FingerprintKey};
use crate::loader::gather;
use crate::loader::merge::{Gatherings, Outcome};
use crate::loader::resolve::{Answers, SecretKey};
use crate::loader::{Loader, Plan};
use crate::origin::{Documents, Sourced};
use crate::provider::{ProviderStatus, SecretProvider};
use crate::schema::SchemaRef;
use crate::source::{GatherContext, Layering, Poll, Version, WatchedPath, process_keys};
use crate::value::RawValue;
use running::Running;
use watch::{Stamp, WatchBackend, Watcher, stamp, touches};

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
    /// How long a watched file that became empty (while it had content) must stay empty
    /// before it is read (default 250 ms): editors and `echo > file` truncate a file and then
    /// write it, and the empty moment in between must not be applied.
    pub empty_file_settle: Duration,
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
            empty_file_settle: Duration::from_millis(250),
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

    /// Sets [`empty_file_settle`](Self::empty_file_settle).
    pub fn empty_file_settle(mut self, settle: Duration) -> Self {
        self.empty_file_settle = settle;
        self
    }
}

impl<T: Config + Send + Sync> Loader<T> {
    /// Loads once (an error is returned as is), then keeps the config up to date: every file
    /// and `.env` source (profile variants and optional files that do not exist yet included),
    /// every directory source and every file a `${file:..}` reference names is watched, remote
    /// sources' pushes are followed, and each change is reloaded and validated before it is
    /// swapped in. See [`Live`]. Needs a tokio runtime.
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
    inner: Arc<Handle<T>>,
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

/// What the handles hold: the snapshot side, the way to the watch task, and its stop signal.
struct Handle<T> {
    shared: Arc<Shared<T>>,
    requests: mpsc::Sender<Request>,
    /// Dropped with the last handle: the watch task sees it and ends.
    _stop: oneshot::Sender<()>,
}

/// What the handles ask of the watch task, each with where to send the answer.
enum Request {
    /// [`Live::reload`].
    Reload(oneshot::Sender<Result<ReloadOutcome, ConfigError>>),
    /// [`Live::set_override`] (`value: Some`) and [`Live::clear_override`] (`None`).
    Override {
        key: String,
        value: Option<String>,
        actor: String,
        reply: oneshot::Sender<Result<ReloadOutcome, OverrideError>>,
    },
}

/// What readers and the watch task share.
struct Shared<T> {
    current: Arc<ArcSwap<T>>,
    version: AtomicU64,
    events: broadcast::Sender<ReloadEvent>,
    metrics: Mutex<ReloadMetrics>,
    previous: ArcSwapOption<Rotated<T>>,
    /// What the running snapshot was built from, for reports: swapped with it.
    report: ArcSwap<Report>,
    audit: Mutex<overrides::Audit>,
    /// The key of the audit's fingerprints (random per process).
    audit_key: FingerprintKey,
    /// The secret providers of the loader, for their status.
    providers: Vec<Arc<dyn SecretProvider>>,
}

/// What the running snapshot was built from: each leaf's value (zeroized when dropped, never
/// shown), the merge's warnings and the overrides. The explain report and the fingerprints
/// are worked out from it when asked for, not on every reload.
struct Report {
    schema: SchemaRef,
    values: Vec<Option<Sourced>>,
    documents: Documents,
    warnings: Vec<crate::Warning>,
    profile: Option<String>,
    overridden: Vec<String>,
}

impl Report {
    /// The explain report: what [`Rows::Collect`] gives for the same values.
    fn explain(&self) -> Explain {
        let rows = crate::assemble::rows_of(&self.schema, &self.values, &self.documents);
        Explain::new(
            &self.schema,
            rows,
            self.warnings.clone(),
            self.profile.clone(),
        )
    }

    /// The digest of the running value of `key` (`None`: unset or no such key).
    fn digest(&self, key: &str) -> Option<Digest> {
        let index = *self.schema.by_path.get(key)?;
        let value = self.values.get(index)?;
        value.is_some().then(|| Digest::of(value))
    }
}

/// One key of [`Live::fingerprints`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyFingerprint {
    /// The key path.
    pub key: String,
    /// Whether the field is a secret.
    pub secret: bool,
    /// The fingerprint of its running value under the key asked for; `None` when unset.
    pub fingerprint: Option<Fingerprint>,
}

/// The snapshot that a secret change replaced, and until when it is offered.
struct Rotated<T> {
    snapshot: Arc<T>,
    until: Instant,
}

/// What woke the watch task up.
enum Trigger {
    /// File events (their paths; empty when the watcher only knows "something").
    Files(Vec<PathBuf>),
    /// A remote source pushed a change (its index in the plan).
    Push(usize),
    /// The poll interval: secret versions and polled sources.
    Poll,
    /// SIGHUP or [`Live::reload`]: everything is gathered again.
    Everything,
}

/// The watch task: the pipeline state and the snapshot side it swaps into.
struct Actor<T> {
    state: State<T>,
    shared: Arc<Shared<T>>,
    rotation_grace: Duration,
    /// When the snapshot offered by `previous()` expires.
    rotation_until: Option<tokio::time::Instant>,
    /// Fingerprint of the latest rejection told to subscribers, until a reload succeeds: the
    /// same rejection found again (a file event and a manual reload of one change) is
    /// returned to the caller but not broadcast twice.
    last_rejection: Option<u64>,
}

/// The loader, what each source gave at the latest gathering, the fetched reference
/// targets, and what the running snapshot was built from.
struct State<T> {
    loader: Loader<T>,
    plan: Plan,
    context: GatherContext,
    outcomes: Vec<Outcome>,
    /// The paths each source reads, with their stamps before its latest gathering.
    stamps: Vec<Vec<(WatchedPath, Stamp)>>,
    /// The files `${file:..}` references name, with their stamps.
    referenced: Vec<(WatchedPath, Stamp)>,
    answers: Answers,
    /// The running snapshot's schema and leaf fingerprints, which a new build is compared
    /// with.
    running: Running,
    /// Raw values of the `restart` leaves the process runs with.
    kept: PathMap<Option<Sourced>>,
    /// Store version of each provider secret the running snapshot was loaded with.
    secret_versions: HashMap<SecretKey, Version>,
    /// Runtime overrides: merged over every source.
    overrides: overrides::Layer,
    /// See [`WatchOptions::empty_file_settle`].
    empty_file_settle: Duration,
}

/// The inputs of the watch task, apart from its state.
struct Feeds {
    watcher: Watcher,
    files: mpsc::UnboundedReceiver<Vec<PathBuf>>,
    pushes: SelectAll<BoxStream<'static, usize>>,
    requests: mpsc::Receiver<Request>,
    stop: oneshot::Receiver<()>,
    hangup: Hangup,
    poll_interval: Duration,
    /// While the watcher polls: a look at every input's stamp (`stat` only) on each tick,
    /// which sees what the polling watcher's whole-second times miss.
    stamp_ticks: tokio::time::Interval,
}

impl<T: Config + Send + Sync> Live<T> {
    async fn start(
        loader: Loader<T>,
        options: WatchOptions,
    ) -> Result<(Self, tokio::task::JoinHandle<()>), ConfigError> {
        let plan = loader.plan();
        let context = loader.context();
        let paths: Vec<Vec<WatchedPath>> = plan.sources.iter().map(|s| s.watch_paths()).collect();
        // Watch before the first load, so no change after it can be missed.
        let (files_tx, files_rx) = mpsc::unbounded_channel();
        let backend = if options.force_poll {
            WatchBackend::Poll
        } else {
            WatchBackend::Native
        };
        let inputs: Vec<WatchedPath> = paths.iter().flatten().cloned().collect();
        let mut watcher = Watcher::start(
            &inputs,
            options.debounce,
            options.poll_interval,
            backend,
            files_tx,
        );
        let stamps = paths
            .into_iter()
            .map(|paths| {
                paths
                    .into_iter()
                    .map(|p| (stamp(&p), p))
                    .map(|(s, p)| (p, s))
                    .collect()
            })
            .collect();
        let outcomes = gather::gather_all(&plan.sources, &context).await;
        let schema = T::schema();
        let mut state = State {
            loader,
            plan,
            context,
            outcomes,
            stamps,
            referenced: Vec::new(),
            answers: Answers::default(),
            // Replaced by the first load's.
            running: Running::new(SchemaRef::Declared(schema), Vec::new()),
            kept: PathMap::default(),
            secret_versions: HashMap::new(),
            overrides: overrides::Layer::default(),
            empty_file_settle: options.empty_file_settle,
        };
        let (first, report) = state.first_load().await?;
        let providers = state.loader.providers().values().cloned().collect();
        let actor = Actor {
            state,
            shared: Arc::new(Shared {
                current: Arc::new(ArcSwap::new(first)),
                version: AtomicU64::new(1),
                events: broadcast::channel(EVENT_CAPACITY).0,
                metrics: Mutex::new(ReloadMetrics {
                    last_success: Some(SystemTime::now()),
                    ..ReloadMetrics::default()
                }),
                previous: ArcSwapOption::empty(),
                report: ArcSwap::from_pointee(report),
                audit: Mutex::default(),
                audit_key: FingerprintKey::random(),
                providers,
            }),
            rotation_grace: options.rotation_grace,
            rotation_until: None,
            last_rejection: None,
        };
        watcher.sync(&actor.state.inputs());
        metrics::version(schema.type_name(), 1);
        let pushes = actor
            .state
            .plan
            .sources
            .iter()
            .enumerate()
            .filter_map(|(index, source)| Some(source.pushes()?.map(move |()| index).boxed()))
            .collect::<SelectAll<_>>();
        tracing::info!(
            config = schema.type_name,
            inputs = actor.state.inputs().len(),
            pushes = pushes.len(),
            polling = watcher.is_polling(),
            "watching configuration"
        );
        let (stop_tx, stop_rx) = oneshot::channel();
        let (requests_tx, requests_rx) = mpsc::channel(16);
        let feeds = Feeds {
            watcher,
            files: files_rx,
            pushes,
            requests: requests_rx,
            stop: stop_rx,
            // Listen before returning: a SIGHUP right after `watch()` must not kill the process.
            hangup: Hangup::new(options.reload_on_sighup),
            poll_interval: options.remote_poll_interval,
            stamp_ticks: stamp_ticks(options.poll_interval),
        };
        let live = Live {
            inner: Arc::new(Handle {
                shared: Arc::clone(&actor.shared),
                requests: requests_tx,
                _stop: stop_tx,
            }),
        };
        let task = tokio::spawn(actor.run(feeds));
        Ok((live, task))
    }

    /// Reloads now, whatever the watcher saw: every source is gathered again (providers
    /// answer from their caches). On success the outcome says what changed (and subscribers
    /// got the same [`ReloadEvent::Applied`]); on failure the current snapshot stays,
    /// subscribers get [`ReloadEvent::Rejected`] and the error is returned.
    pub async fn reload(&self) -> Result<ReloadOutcome, ConfigError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || ConfigError::stopped();
        self.inner
            .requests
            .send(Request::Reload(reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Overrides `key` (a key path, `log_level`, `redis.port`) with `value`, over every
    /// source, until [`clear_override`](Self::clear_override): file changes and reloads keep
    /// it. The value is read like a variable's (`"30s"`, `"a,b"`), and the whole
    /// configuration is validated with it before it is swapped in; subscribers get the
    /// [`ReloadEvent::Applied`]. `actor` names who asked, in the audit record (see
    /// [`audit`](Self::audit)). Refused, with the snapshot unchanged, for an unknown key, a
    /// `restart` field or a value that does not validate.
    pub async fn set_override(
        &self,
        key: &str,
        value: impl Into<String>,
        actor: &str,
    ) -> Result<ReloadOutcome, OverrideError> {
        self.change_override(key, Some(value.into()), actor).await
    }

    /// Removes the override of `key`: its value comes from the sources again (validated like
    /// any change).
    pub async fn clear_override(
        &self,
        key: &str,
        actor: &str,
    ) -> Result<ReloadOutcome, OverrideError> {
        self.change_override(key, None, actor).await
    }

    async fn change_override(
        &self,
        key: &str,
        value: Option<String>,
        actor: &str,
    ) -> Result<ReloadOutcome, OverrideError> {
        let (reply, answer) = oneshot::channel();
        let request = Request::Override {
            key: key.to_owned(),
            value,
            actor: actor.to_owned(),
            reply,
        };
        self.inner
            .requests
            .send(request)
            .await
            .map_err(|_| OverrideError::Stopped)?;
        answer.await.map_err(|_| OverrideError::Stopped)?
    }
}

impl<T> Live<T> {
    /// The current snapshot. Lock-free; never waits for a reload.
    pub fn get(&self) -> Arc<T> {
        self.inner.shared.current.load_full()
    }

    /// The current snapshot behind a guard, without touching the reference count: for hot
    /// paths. Do not hold guards for long (many at once fall back to a slower path).
    pub fn load(&self) -> Guard<Arc<T>> {
        self.inner.shared.current.load()
    }

    /// A reader for one thread whose [`load`](LiveCache::load) costs a generation check while
    /// nothing changes: for the hottest loops. It keeps the snapshot it saw alive until its
    /// next `load`.
    pub fn cache(&self) -> LiveCache<T> {
        LiveCache {
            cache: arc_swap::Cache::new(Arc::clone(&self.inner.shared.current)),
        }
    }

    /// Events of every later reload (a tokio broadcast: a receiver that falls more than 64
    /// events behind gets `Lagged` and then the latest ones).
    pub fn subscribe(&self) -> broadcast::Receiver<ReloadEvent> {
        self.inner.shared.events.subscribe()
    }

    /// The version of the current snapshot: 1 for the first load, then one more per applied
    /// reload. It only grows. (Read separately from [`get`](Self::get): a reload may fall
    /// between the two reads.)
    pub fn version(&self) -> u64 {
        self.inner.shared.version.load(Ordering::Acquire)
    }

    /// The snapshot that was current before the latest reload that changed a secret field,
    /// while that reload is younger than [`WatchOptions::rotation_grace`]; `None` otherwise.
    /// Read the secret fields from it to accept what the previous secret signed while the
    /// new one rolls out.
    pub fn previous(&self) -> Option<Arc<T>> {
        let rotated = self.inner.shared.previous.load_full()?;
        (Instant::now() < rotated.until).then(|| Arc::clone(&rotated.snapshot))
    }

    /// Counts of applied, rejected and restart-blocked reloads, the latest error and the time
    /// of the latest success.
    pub fn metrics(&self) -> ReloadMetrics {
        lock(&self.inner.shared.metrics).clone()
    }

    /// The explain report of the running snapshot (secrets redacted; overridden keys show
    /// `override` as their source). Kept with each swap: no source is read again.
    pub fn explain(&self) -> Explain {
        self.inner.shared.report.load().explain()
    }

    /// How each secret provider has fared (cache, breaker, fallbacks), one per scheme, for
    /// health reports. Providers that keep no counts are left out.
    pub fn providers(&self) -> Vec<ProviderStatus> {
        let mut statuses: Vec<ProviderStatus> = self
            .inner
            .shared
            .providers
            .iter()
            .filter_map(|provider| provider.status())
            .collect();
        // The default provider is also registered under its own scheme.
        statuses.sort_by(|a, b| a.scheme.cmp(&b.scheme));
        statuses.dedup_by(|a, b| a.scheme == b.scheme);
        statuses
    }

    /// The keys with a runtime override, in order.
    pub fn overridden(&self) -> Vec<String> {
        self.inner.shared.report.load().overridden.clone()
    }

    /// Every override change so far (the latest 1024), oldest first.
    pub fn audit(&self) -> Vec<OverrideRecord> {
        lock(&self.inner.shared.audit).records()
    }

    /// A fingerprint of each running value under `key`, for comparing with another
    /// environment (`app diff`) without showing any value. Fingerprints under a key the
    /// caller picked let the caller test guesses: serve them to operators only.
    pub fn fingerprints(&self, key: &FingerprintKey) -> Vec<KeyFingerprint> {
        let report = self.inner.shared.report.load();
        report
            .schema
            .fields
            .iter()
            .zip(&report.values)
            .map(|(field, value)| KeyFingerprint {
                key: field.path.clone(),
                secret: field.secret,
                fingerprint: value.is_some().then(|| Digest::of(value).under(key)),
            })
            .collect()
    }
}

impl<T: Config + Send + Sync> Actor<T> {
    /// The one loop: waits for a trigger, then handles it, both interruptible by the stop
    /// signal so the task ends promptly even during a slow network call.
    async fn run(mut self, mut feeds: Feeds) {
        let mut next_poll = next_poll_at(feeds.poll_interval);
        let mut synced = self.state.inputs();
        loop {
            let rotation_until = self.rotation_until;
            let expire = async move {
                match rotation_until {
                    Some(until) => tokio::time::sleep_until(until).await,
                    None => std::future::pending().await,
                }
            };
            let poll = async {
                match next_poll {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let (trigger, reply) = tokio::select! {
                _ = &mut feeds.stop => break,
                Some(mut paths) = feeds.files.recv() => {
                    while let Ok(more) = feeds.files.try_recv() {
                        paths.extend(more);
                    }
                    (Trigger::Files(paths), None)
                }
                Some(index) = feeds.pushes.next(), if !feeds.pushes.is_empty() => {
                    (Trigger::Push(index), None)
                }
                () = poll => {
                    next_poll = next_poll_at(feeds.poll_interval);
                    (Trigger::Poll, None)
                }
                () = feeds.hangup.recv() => {
                    tracing::info!("SIGHUP: reloading the configuration");
                    (Trigger::Everything, None)
                }
                Some(request) = feeds.requests.recv() => match request {
                    Request::Reload(reply) => (Trigger::Everything, Some(reply)),
                    Request::Override { key, value, actor, reply } => {
                        let answer = tokio::select! {
                            _ = &mut feeds.stop => break,
                            answer = self.change_override(&key, value, &actor) => answer,
                        };
                        let _ = reply.send(answer);
                        continue;
                    }
                },
                _ = feeds.stamp_ticks.tick(), if feeds.watcher.is_polling() => {
                    (Trigger::Files(Vec::new()), None)
                }
                () = expire => {
                    self.rotation_until = None;
                    self.shared.previous.store(None);
                    continue;
                }
            };
            // After file events symlinks may point elsewhere; otherwise only a new set of
            // inputs (a new `${file:..}`) needs the watches redone.
            let file_events = matches!(trigger, Trigger::Files(_));
            let handled = tokio::select! {
                _ = &mut feeds.stop => break,
                handled = self.handle(trigger) => handled,
            };
            let inputs = self.state.inputs();
            if file_events || inputs != synced {
                feeds.watcher.sync(&inputs);
                synced = inputs;
            }
            if let Some(reply) = reply {
                let _ = reply.send(handled.unwrap_or_else(|| Ok(self.unchanged())));
            }
        }
        tracing::debug!("config watching stopped: the last Live handle was dropped");
    }

    /// Gathers again what the trigger says moved; reloads when anything did. `None`: nothing
    /// moved, no reload was attempted.
    async fn handle(&mut self, trigger: Trigger) -> Option<Result<ReloadOutcome, ConfigError>> {
        let moved = match trigger {
            Trigger::Files(paths) => self.state.files_changed(&paths).await,
            Trigger::Push(index) => {
                tracing::debug!(source = %self.state.plan.sources[index].name(), "remote source changed");
                self.state.regather(&[index]).await
            }
            Trigger::Poll => self.state.poll().await,
            Trigger::Everything => {
                self.state.regather_all().await;
                self.state.answers = Answers::default();
                true
            }
        };
        if !moved {
            tracing::trace!("config inputs unchanged; no reload");
            return None;
        }
        Some(self.reload().await)
    }

    /// Runs the pipeline over the current gatherings and swaps in a valid result.
    async fn reload(&mut self) -> Result<ReloadOutcome, ConfigError> {
        match self.state.rebuild().await {
            Ok(built) => {
                let outcome = self.apply(built);
                if matches!(outcome, ReloadOutcome::Applied(_)) {
                    metrics::emit(T::schema().type_name(), Signal::ReloadApplied);
                }
                Ok(outcome)
            }
            Err(error) => {
                self.rejected(&error);
                Err(error)
            }
        }
    }

    /// Sets or clears one override (see [`Actor::try_override`]), and counts the result.
    async fn change_override(
        &mut self,
        key: &str,
        value: Option<String>,
        actor: &str,
    ) -> Result<ReloadOutcome, OverrideError> {
        let result = self.try_override(key, value, actor).await;
        let signal = match result {
            Ok(_) => Signal::OverrideApplied,
            Err(_) => Signal::OverrideRefused,
        };
        metrics::emit(T::schema().type_name(), signal);
        result
    }

    /// Checks an override change against the running schema, then builds like a reload;
    /// applies and audits it when valid, undoes it otherwise.
    async fn try_override(
        &mut self,
        key: &str,
        value: Option<String>,
        actor: &str,
    ) -> Result<ReloadOutcome, OverrideError> {
        let state = &mut self.state;
        let schema = state.running.schema();
        let Some(field) = schema.field(key) else {
            let paths = schema.fields.iter().map(|f| f.path.as_str());
            let suggestion = crate::suggest::closest(key, paths).map(str::to_owned);
            return Err(OverrideError::UnknownKey {
                key: key.to_owned(),
                suggestion,
            });
        };
        if field.restart {
            return Err(OverrideError::Restart {
                key: key.to_owned(),
            });
        }
        if value.is_none() && !state.overrides.contains(key) {
            return Err(OverrideError::NotOverridden {
                key: key.to_owned(),
            });
        }
        let change = match value {
            Some(_) => OverrideChange::Set,
            None => OverrideChange::Cleared,
        };
        let digest_of = |shared: &Shared<T>| shared.report.load().digest(key);
        let old = digest_of(&self.shared);
        let before = state.overrides.change(key, value);
        let built = match state.rebuild().await {
            Ok(built) => built,
            Err(error) => {
                state.overrides.change(key, before);
                return Err(OverrideError::Invalid(error));
            }
        };
        let outcome = self.apply(built);
        let version = self.shared.version.load(Ordering::Acquire);
        let audit_key = &self.shared.audit_key;
        let new = digest_of(&self.shared);
        lock(&self.shared.audit).push(OverrideRecord {
            actor: actor.to_owned(),
            key: key.to_owned(),
            change,
            old: old.map(|d| d.under(audit_key)),
            new: new.map(|d| d.under(audit_key)),
            version,
            at: SystemTime::now(),
        });
        Ok(outcome)
    }

    /// Swaps in a valid build: works out which keys changed, keeps `restart` values, tells
    /// subscribers. An unchanged build swaps nothing.
    fn apply(&mut self, built: Built<T>) -> ReloadOutcome {
        let Built {
            config,
            fingerprints,
            report,
        } = built;
        let state = &mut self.state;
        self.last_rejection = None;

        let changes = state.running.advance(&report.schema, fingerprints);
        for path in &changes.gone {
            state.kept.remove(path.as_str());
        }
        let now = SystemTime::now();
        if changes.is_empty() {
            // The values stayed, but where they come from may not have (an override of a
            // key to the value it had).
            self.publish(report);
            lock(&self.shared.metrics).last_success = Some(now);
            let outcome = self.unchanged();
            tracing::debug!(%outcome, "config reloaded; nothing changed");
            return outcome;
        }

        let shared = &self.shared;
        let running::Changes {
            changed,
            restart_required,
            secret_changed,
            ..
        } = changes;
        let old = shared.current.swap(config);
        self.publish(report);
        let shared = &self.shared;
        let version = shared.version.fetch_add(1, Ordering::AcqRel) + 1;
        metrics::version(T::schema().type_name(), version);
        if secret_changed && !self.rotation_grace.is_zero() {
            let until = Instant::now().checked_add(self.rotation_grace);
            if let Some(until) = until {
                shared.previous.store(Some(Arc::new(Rotated {
                    snapshot: old,
                    until,
                })));
                self.rotation_until = tokio::time::Instant::now().checked_add(self.rotation_grace);
            }
        }
        let metrics = {
            let mut metrics = lock(&shared.metrics);
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
        // The key lists are copied only for subscribers (a big reload changes thousands).
        if shared.events.receiver_count() > 0 {
            let _ = shared.events.send(ReloadEvent::Applied(applied.clone()));
        }
        ReloadOutcome::Applied(applied)
    }

    /// Makes the report of the snapshot just swapped in the one readers see.
    fn publish(&mut self, report: Report) {
        self.shared.report.store(Arc::new(report));
    }

    fn unchanged(&self) -> ReloadOutcome {
        ReloadOutcome::Unchanged {
            version: self.shared.version.load(Ordering::Acquire),
        }
    }

    fn rejected(&mut self, error: &ConfigError) {
        metrics::emit(T::schema().type_name(), Signal::ReloadRejected);
        let fingerprint = process_keys().hash_one(error.to_string());
        let repeated = self.last_rejection.replace(fingerprint) == Some(fingerprint);
        let metrics = {
            let mut metrics = lock(&self.shared.metrics);
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
        if repeated {
            tracing::debug!("the same rejection again: subscribers were told already");
            return;
        }
        let _ = self.shared.events.send(ReloadEvent::Rejected {
            error: Arc::new(error.clone()),
        });
    }
}

impl<T: Config + Send + Sync> State<T> {
    /// The first load: the result is returned (a failure is the caller's error, not an event).
    async fn first_load(&mut self) -> Result<(Arc<T>, Report), ConfigError> {
        let Built {
            config,
            fingerprints,
            report,
        } = self.build().await?;
        // Nothing is pinned on the first load: the report holds the resolved values.
        let leaves = report.schema.fields.iter().zip(&report.values);
        for (field, value) in leaves.filter(|(field, _)| field.restart) {
            // Kept apart from this load's documents, so its origin is made whole.
            let value = value.as_ref().map(|v| v.detached(&report.documents));
            self.kept.insert(field.path.clone(), value);
        }
        self.running = Running::new(report.schema.clone(), fingerprints);
        self.referenced = self.referenced_now();
        Ok((config, report))
    }

    /// A build against the running values, then the referenced files noted (a reload and
    /// an override change both start here).
    async fn rebuild(&mut self) -> Result<Built<T>, ConfigError> {
        let result = self.build().await;
        self.referenced = self.referenced_now();
        result
    }

    /// Steps 2 to 5 over the current gatherings: the config, built with the kept values of
    /// `restart` leaves that moved, and every leaf's resolved value (unpinned).
    async fn build(&mut self) -> Result<Built<T>, ConfigError> {
        // A file's gathering the last merge spent is parsed again from its kept text (no file
        // is read).
        for outcome in &mut self.outcomes {
            if let Outcome::Gathered(gathered) = outcome {
                gathered.restore();
            }
        }
        let dotenv = gather::dotenv_vars(&self.plan.sources, &self.outcomes, self.loader.maps());
        let mut merged = self.merge_with_overrides();
        self.answers = self
            .loader
            .fetch(&dotenv, &merged, std::mem::take(&mut self.answers))
            .await;
        self.loader.resolve(&mut merged, &self.answers);
        // Fingerprints of the resolved values, before any is pinned.
        let fingerprints: Vec<u64> = merged.values.iter().map(fingerprint).collect();
        // The kept `restart` leaves that moved are pinned (no other leaf is read).
        let pins: Vec<(usize, Option<Sourced>)> = (self.kept.iter())
            .filter_map(|(path, kept)| {
                let &index = merged.schema.by_path.get(path)?;
                let moved = (self.running.fingerprint(path))
                    .is_some_and(|running| fingerprints[index] != running);
                moved.then(|| (index, kept.clone()))
            })
            .collect();
        let profile = self.plan.profile.clone();
        if !pins.is_empty() {
            // The change itself must be valid, even though it is not applied.
            self.loader
                .assemble(&mut merged, MergedTexts::Kept, profile.clone(), Rows::Skip)?;
            for (index, value) in pins {
                merged.values[index] = value;
            }
        }
        let assembled =
            self.loader
                .assemble(&mut merged, MergedTexts::Kept, profile.clone(), Rows::Skip)?;
        self.secret_versions = self.answers.versions();
        let report = Report {
            schema: merged.schema,
            values: merged.values,
            documents: merged.documents,
            warnings: merged.warnings,
            profile,
            overridden: self.overrides.keys(),
        };
        Ok(Built {
            config: Arc::new(assembled.config),
            fingerprints,
            report,
        })
    }

    /// Step 2 over the latest gatherings, with the runtime overrides as the last layer. The
    /// gatherings are kept for the next reload: the merge copies the texts it uses, but from a
    /// file's document, which keeps its text and is parsed again by the next build.
    fn merge_with_overrides(&mut self) -> crate::loader::merge::Merged {
        if self.overrides.is_empty() {
            return self
                .loader
                .merge(&self.plan, &mut self.outcomes, Gatherings::Kept);
        }
        let mut sources = self.plan.sources.clone();
        sources.push(Arc::new(self.overrides.clone()));
        let plan = Plan {
            sources,
            profile: self.plan.profile.clone(),
            profile_problem: self.plan.profile_problem.clone(),
        };
        // The overrides' gathering joins the kept ones for this merge only.
        self.outcomes
            .push(gather::gather_now(&self.overrides, &self.context));
        let merged = self
            .loader
            .merge(&plan, &mut self.outcomes, Gatherings::Kept);
        if let Some(overrides) = self.outcomes.pop() {
            wipe(overrides);
        }
        merged
    }

    /// Stamps every watched path; gathers again the sources an event or a stamp says moved,
    /// and re-reads the referenced files that moved. Whether any content moved.
    ///
    /// A file that had content and is now empty is most likely being rewritten (truncated,
    /// then written: many editors, `echo > file`): then nothing is read before
    /// [`WatchOptions::empty_file_settle`] has passed, so the write can land. A file still
    /// empty after that is read as it is.
    async fn files_changed(&mut self, events: &[PathBuf]) -> bool {
        let emptied = self
            .stamps
            .iter()
            .flatten()
            .chain(&self.referenced)
            .any(|(path, old)| old.has_content() && stamp(path).is_empty_file());
        if emptied && !self.empty_file_settle.is_zero() {
            tracing::debug!(settle = ?self.empty_file_settle, "a watched file was emptied; waiting for it to be written");
            tokio::time::sleep(self.empty_file_settle).await;
        }
        let mut moved_sources = Vec::new();
        for (index, stamps) in self.stamps.iter().enumerate() {
            let moved = stamps
                .iter()
                .any(|(path, old)| touches(path, events) || stamp(path) != *old);
            if moved {
                moved_sources.push(index);
            }
        }
        let mut moved = self.regather(&moved_sources).await;
        for (path, old) in &mut self.referenced {
            let now = stamp(path);
            if !touches(path, events) && now == *old {
                continue;
            }
            *old = now;
            let cap = self.loader.file_size_cap();
            let text = gather::off_workers(|| gather::read_file(&path.path, cap));
            let same = match (self.answers.files.get(&path.path), &text) {
                (Some(Ok(before)), Ok(after)) => before.expose_secret() == after.expose_secret(),
                (Some(Err(before)), Err(after)) => before == after,
                _ => false,
            };
            if !same {
                self.answers.files.insert(path.path.clone(), text);
                moved = true;
            }
        }
        moved
    }

    /// Gathers every source again (a reload was asked for: no version is compared).
    async fn regather_all(&mut self) {
        for index in 0..self.plan.sources.len() {
            for (path, old) in &mut self.stamps[index] {
                *old = stamp(path);
            }
            let source = Arc::clone(&self.plan.sources[index]);
            let outcome = gather::gather(&*source, &self.context).await;
            wipe(std::mem::replace(&mut self.outcomes[index], outcome));
        }
    }

    /// Gathers these sources again; whether any version moved.
    async fn regather(&mut self, indices: &[usize]) -> bool {
        let mut moved = false;
        for &index in indices {
            for (path, old) in &mut self.stamps[index] {
                *old = stamp(path);
            }
            let source = Arc::clone(&self.plan.sources[index]);
            let outcome = gather::gather(&*source, &self.context).await;
            let changed = version_of(&outcome) != version_of(&self.outcomes[index]);
            if changed && source.layering() == Layering::UnderEnvironment {
                // `${VAR}` may read a `.env` variable: look every variable up again.
                self.answers.vars.clear();
            }
            moved |= changed;
            wipe(std::mem::replace(&mut self.outcomes[index], outcome));
        }
        moved
    }

    /// Asks the providers for the versions of the secrets in use (a secret whose version
    /// moved is dropped from its provider's cache and fetched again), and gathers the polled
    /// sources again. Reads no file. Whether anything moved.
    async fn poll(&mut self) -> bool {
        let keys: Vec<SecretKey> = self.secret_versions.keys().cloned().collect();
        let mut moved = false;
        for (key, version) in gather::secret_versions(keys, self.loader.providers()).await {
            let loaded = self.secret_versions.get(&key);
            if let (Some(now), Some(loaded)) = (version, loaded)
                && now != *loaded
            {
                let (scheme, path) = &key;
                tracing::info!(
                    scheme,
                    path,
                    old = loaded.as_str(),
                    new = now.as_str(),
                    "a referenced secret has a new version"
                );
                self.loader.providers()[scheme].invalidate(path);
                if let Some(secrets) = self.answers.secrets.as_mut() {
                    secrets.remove(&key);
                }
                moved = true;
            }
        }
        let polled: Vec<usize> = self
            .plan
            .sources
            .iter()
            .enumerate()
            .filter(|(_, source)| source.poll() == Poll::OnInterval)
            .map(|(index, _)| index)
            .collect();
        moved | self.regather(&polled).await
    }

    /// The referenced files now, keeping the stamps of those already known.
    fn referenced_now(&self) -> Vec<(WatchedPath, Stamp)> {
        let mut files: Vec<&PathBuf> = self.answers.files.keys().collect();
        files.sort();
        files
            .into_iter()
            .map(|file| {
                let known = self.referenced.iter().find(|(p, _)| p.path == *file);
                match known {
                    Some(known) => known.clone(),
                    None => {
                        let path = WatchedPath::file(file);
                        let stamp = stamp(&path);
                        (path, stamp)
                    }
                }
            })
            .collect()
    }

    /// Every path to watch: the sources' and the referenced files.
    fn inputs(&self) -> Vec<WatchedPath> {
        self.stamps
            .iter()
            .flatten()
            .chain(&self.referenced)
            .map(|(path, _)| path.clone())
            .collect()
    }
}

/// The version a gathering ended with (a failure's text stands for it).
fn version_of(outcome: &Outcome) -> Option<Version> {
    match outcome {
        Outcome::Gathered(gathered) => Some(gathered.current_version()),
        Outcome::Failed(e) => Some(Version::hash(&e.message)),
        Outcome::NeedsAsync => None,
    }
}

/// The ticks of the stamp check while polling (the first one after a full interval).
fn stamp_ticks(interval: Duration) -> tokio::time::Interval {
    let interval = interval.max(Duration::from_millis(10));
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks
}

/// When the next poll is due: the interval plus up to 10 % jitter, so a fleet does not poll
/// in step; `None` when polling is off.
fn next_poll_at(interval: Duration) -> Option<tokio::time::Instant> {
    if interval.is_zero() {
        return None;
    }
    let jittered = interval + interval.mul_f64(jitter_fraction() * 0.1);
    tokio::time::Instant::now().checked_add(jittered)
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

/// Overwrites the texts a source gave before they are dropped: `Live` keeps each source's
/// last gathering, secrets included, for as long as it runs.
fn wipe(mut outcome: Outcome) {
    if let Outcome::Gathered(gathered) = &mut outcome {
        gathered.wipe();
    }
}

impl<T> Drop for State<T> {
    fn drop(&mut self) {
        self.outcomes.drain(..).for_each(wipe);
    }
}

/// What one build gives: the config, each leaf's fingerprint (before `restart` values are
/// pinned) and what the config was built from.
struct Built<T> {
    /// On the heap from the start: a wide config is kilobytes, and a build passes through
    /// several futures and frames on its way to the swap (each a copy when held inline).
    config: Arc<T>,
    fingerprints: Vec<u64>,
    report: Report,
}

/// State of some leaves of the running snapshot (`restart` leaves), by key path. Map
/// entries' paths come from the sources, so the hash is seeded per process (foldhash: keyed,
/// and several times faster than SipHash on short paths).
type PathMap<V> = HashMap<String, V, foldhash::quality::RandomState>;

/// A keyed fingerprint of one resolved leaf value (unset included), with the process key.
/// It only ever tells two values apart inside this process: never shown, never stored.
fn fingerprint(value: &Option<Sourced>) -> u64 {
    static KEYS: std::sync::OnceLock<foldhash::quality::RandomState> = std::sync::OnceLock::new();
    fingerprint_with(KEYS.get_or_init(Default::default), value)
}

fn fingerprint_with(keys: &impl BuildHasher, value: &Option<Sourced>) -> u64 {
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
        let keys = foldhash::quality::RandomState::default();
        let value = |text: &str| {
            Some(Sourced::new(
                RawValue::Str(text.into()),
                crate::Origin::Default,
            ))
        };
        assert_eq!(
            fingerprint_with(&keys, &value("a")),
            fingerprint_with(&keys, &value("a"))
        );
        assert_ne!(
            fingerprint_with(&keys, &value("a")),
            fingerprint_with(&keys, &value("b"))
        );
        assert_ne!(
            fingerprint_with(&keys, &value("")),
            fingerprint_with(&keys, &None)
        );
        let list = Some(Sourced::new(
            RawValue::List(vec!["a".into()]),
            crate::Origin::Default,
        ));
        assert_ne!(
            fingerprint_with(&keys, &value("a")),
            fingerprint_with(&keys, &list)
        );
        let other = foldhash::quality::RandomState::default();
        assert_ne!(
            fingerprint_with(&keys, &value("a")),
            fingerprint_with(&other, &value("a"))
        );
    }
}
