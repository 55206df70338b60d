//! Flags that follow their source while the program runs: one task per [`LiveFlags`] fetches
//! again on file events, on the source's pushes and on its poll interval, swaps a good
//! document in atomically, keeps the last good one on errors (backing off), and stops when the
//! handle is dropped.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::{ArcSwap, Guard};
use futures_util::StreamExt;
use futures_util::stream::{BoxStream, Fuse};
use tokio::sync::{mpsc, oneshot};

use super::usage::{self, FlagMetrics, MetricsSink};
use super::{Context, Flags, FlagsError, KillSwitch};
use crate::live::watch::{WatchBackend, Watcher};
use crate::provider::BoxFuture;
use crate::source::WatchedPath;

/// What a fetch found.
#[derive(Debug)]
pub enum Fetched {
    /// A new document.
    Changed(Flags),
    /// The same document as the previous fetch (an unchanged file, a `304 Not Modified`).
    Unchanged,
}

/// Where a flag document comes from: a file ([`FlagFile`]), an Unleash server
/// (`config_providers::unleash`), an etcd key pushed by etcd's watch
/// (`config_providers::etcd::EtcdFlags`), or a store of your own.
pub trait FlagSource: Send + 'static {
    /// What logs call the source (never a secret).
    fn describe(&self) -> String;

    /// Where usage metrics of the documents it serves go, if this source sends them (an
    /// Unleash server with metrics on): [`LiveFlags`] counts evaluations and sends through it.
    fn metrics_sink(&mut self) -> Option<Box<dyn MetricsSink>> {
        None
    }

    /// Reads the document; [`Fetched::Unchanged`] when the source can tell nothing moved.
    fn fetch(&mut self) -> BoxFuture<'_, Result<Fetched, FlagsError>>;

    /// Files whose changes should trigger a fetch at once (polled sources name none).
    fn watched(&self) -> Vec<WatchedPath> {
        Vec::new()
    }

    /// A stream that yields whenever the source changed after the latest fetch (etcd's
    /// watch), for sources that push; each item triggers a fetch at once. Asked once, when
    /// following starts; dropped with the [`LiveFlags`]. Polled sources push nothing.
    fn pushes(&self) -> Option<BoxStream<'static, ()>> {
        None
    }
}

/// A flag document in a file (JSON, YAML or TOML by its extension), watched for changes.
#[derive(Debug, Clone)]
pub struct FlagFile {
    path: PathBuf,
    last: Option<String>,
}

impl FlagFile {
    /// The file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FlagFile {
            path: path.into(),
            last: None,
        }
    }
}

impl FlagSource for FlagFile {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn fetch(&mut self) -> BoxFuture<'_, Result<Fetched, FlagsError>> {
        Box::pin(async move {
            let path = self.path.clone();
            let text = tokio::task::spawn_blocking(move || std::fs::read_to_string(&path))
                .await
                .map_err(FlagsError::new)?
                .map_err(|e| FlagsError::new(format!("{}: {e}", self.path.display())))?;
            if self.last.as_deref() == Some(text.as_str()) {
                return Ok(Fetched::Unchanged);
            }
            let format = crate::Format::from_path(&self.path).ok_or_else(|| {
                FlagsError::new(format!(
                    "{}: name a .json, .yaml or .toml file",
                    self.path.display()
                ))
            })?;
            let flags = Flags::parse(format, &text)?;
            self.last = Some(text);
            Ok(Fetched::Changed(flags))
        })
    }

    fn watched(&self) -> Vec<WatchedPath> {
        vec![WatchedPath::file(&self.path)]
    }
}

/// How a [`LiveFlags`] follows its source.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LiveFlagsOptions {
    /// How often the source is fetched again (files are also fetched on their events).
    pub poll_interval: Duration,
    /// The longest wait between fetches while the source keeps failing.
    pub max_backoff: Duration,
    /// Local verdicts that beat the source ([`KillSwitch::from_env`] by default).
    pub kill_switch: Arc<KillSwitch>,
    /// Counts evaluations into these usage metrics (off by default; on by itself when the
    /// source has a [`metrics_sink`](FlagSource::metrics_sink)).
    pub metrics: Option<FlagMetrics>,
}

impl Default for LiveFlagsOptions {
    fn default() -> Self {
        LiveFlagsOptions {
            poll_interval: Duration::from_secs(15),
            max_backoff: Duration::from_secs(300),
            kill_switch: Arc::new(KillSwitch::from_env().unwrap_or_else(|e| {
                tracing::error!("{e}; no flag is forced");
                KillSwitch::new()
            })),
            metrics: None,
        }
    }
}

impl LiveFlagsOptions {
    /// Sets [`poll_interval`](Self::poll_interval).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Sets [`max_backoff`](Self::max_backoff).
    pub fn max_backoff(mut self, max: Duration) -> Self {
        self.max_backoff = max;
        self
    }

    /// Sets [`kill_switch`](Self::kill_switch).
    pub fn kill_switch(mut self, switch: KillSwitch) -> Self {
        self.kill_switch = Arc::new(switch);
        self
    }

    /// Sets [`metrics`](Self::metrics): count evaluations, read them with
    /// [`FlagMetrics::take`].
    pub fn metrics(mut self, metrics: FlagMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// A fetched document as it is served: under the kill switch, counted when metrics are on.
    fn prepare(&self, flags: Flags) -> Flags {
        let flags = flags.with_kill_switch(self.kill_switch.clone());
        match &self.metrics {
            Some(metrics) => flags.with_metrics(metrics),
            None => flags,
        }
    }
}

/// A flag document that follows its source. Reads are lock-free and never wait for a fetch.
///
/// ```no_run
/// # async fn run() -> Result<(), config_runtime::flags::FlagsError> {
/// use config_runtime::flags::{Context, FlagFile, LiveFlags, LiveFlagsOptions};
///
/// let flags = LiveFlags::start(FlagFile::new("flags.yaml"), LiveFlagsOptions::default()).await?;
/// if flags.is_enabled("new-checkout", &Context::new().user_id("42")) { /* .. */ }
/// let doc = flags.load();                      // the current document, for variants
/// let variant = doc.variant("pricing", &Context::new());
/// # Ok(()) }
/// ```
pub struct LiveFlags {
    current: Arc<ArcSwap<Flags>>,
    _stop: oneshot::Sender<()>,
    metrics: Option<FlagMetrics>,
    /// Stops the metrics task (which then sends its last bucket) when dropped.
    _report: Option<oneshot::Sender<()>>,
}

impl LiveFlags {
    /// Fetches the first document (an error if that fails) and starts following the source
    /// on a tokio task; and, when the source has a [metrics sink](FlagSource::metrics_sink),
    /// sending usage metrics on another.
    pub async fn start(
        mut source: impl FlagSource,
        mut options: LiveFlagsOptions,
    ) -> Result<LiveFlags, FlagsError> {
        let first = match source.fetch().await? {
            Fetched::Changed(flags) => flags,
            Fetched::Unchanged => Flags::default(),
        };
        let sink = source.metrics_sink();
        if sink.is_some() && options.metrics.is_none() {
            options.metrics = Some(FlagMetrics::new());
        }
        let metrics = options.metrics.clone();
        let report = sink
            .zip(metrics.clone())
            .map(|(sink, m)| usage::report(sink, m));
        let current = Arc::new(ArcSwap::from_pointee(options.prepare(first)));
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(follow(source, options, current.clone(), stopped));
        Ok(LiveFlags {
            current,
            _stop: stop,
            metrics,
            _report: report,
        })
    }

    /// The usage metrics evaluations count into, when they are on. With a source that sends
    /// them, what [`FlagMetrics::take`] takes here is not sent.
    pub fn metrics(&self) -> Option<&FlagMetrics> {
        self.metrics.as_ref()
    }

    /// The current document: a cheap guard, for several checks against one snapshot.
    pub fn load(&self) -> Guard<Arc<Flags>> {
        self.current.load()
    }

    /// Whether the flag is on for the context in the current document.
    pub fn is_enabled(&self, name: &str, ctx: &Context) -> bool {
        self.current.load().is_enabled(name, ctx)
    }
}

/// The task: fetch on file events, pushes and the poll interval, doubling the wait while the
/// source fails; ends when the [`LiveFlags`] is dropped.
async fn follow(
    mut source: impl FlagSource,
    options: LiveFlagsOptions,
    current: Arc<ArcSwap<Flags>>,
    mut stopped: oneshot::Receiver<()>,
) {
    let (events, mut changed) = mpsc::unbounded_channel();
    let watched = source.watched();
    let _watcher = (!watched.is_empty()).then(|| {
        Watcher::start(
            &watched,
            Duration::from_millis(50),
            options.poll_interval,
            WatchBackend::Native,
            events,
        )
    });
    // Fused: a push stream that ended stays ended instead of being polled again.
    let mut pushes = source.pushes().map(StreamExt::fuse);
    let mut wait = options.poll_interval;
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            Some(_) = changed.recv() => {}
            Some(()) = next_push(&mut pushes) => {}
            _ = tokio::time::sleep(wait) => {}
        }
        match source.fetch().await {
            Ok(Fetched::Changed(flags)) => {
                current.store(Arc::new(options.prepare(flags)));
                tracing::info!(source = %source.describe(), "flag document reloaded");
                wait = options.poll_interval;
            }
            Ok(Fetched::Unchanged) => wait = options.poll_interval,
            Err(e) => {
                wait = (wait * 2)
                    .min(options.max_backoff)
                    .max(options.poll_interval);
                tracing::warn!(
                    source = %source.describe(),
                    retry_in = ?wait,
                    "flag source failed, keeping the last good document: {e}"
                );
            }
        }
    }
}

/// The next push of a source that pushes; never, for one that does not.
async fn next_push(pushes: &mut Option<Fuse<BoxStream<'static, ()>>>) -> Option<()> {
    match pushes {
        Some(pushes) => pushes.next().await,
        None => std::future::pending().await,
    }
}
