//! Usage metrics as Unleash's SDKs keep them: per flag, how often it was evaluated on (`yes`)
//! and off (`no`), and how often each variant was handed out.
//!
//! What is counted follows Unleash's official SDKs (the Node SDK's `isEnabled`/`getVariant`,
//! the Rust SDK's `is_enabled_str`/`get_variant_str`): every call the application makes,
//! including calls naming a flag the document lacks (so the server can list unknown flags);
//! a variant call counts its `yes`/`no` (whether the flag was on) and the variant's name,
//! `disabled` included; flags read only as another flag's parent are not counted.
//!
//! Counting allocates nothing and takes no lock: a document with metrics on carries one
//! [`AtomicU64`] per flag and answer and one per variant name, laid out when the metrics are
//! attached; a document without them pays one branch. Unknown names go to a fixed table
//! shared by every document (a name is copied once, the first time it is seen; names beyond
//! the table's size are not counted).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
#[cfg(feature = "live")]
use std::time::Duration;
use std::time::SystemTime;

#[cfg(feature = "live")]
use super::FlagsError;
#[cfg(feature = "live")]
use crate::provider::BoxFuture;

/// How many distinct unknown flag names are counted.
const UNKNOWN_SLOTS: usize = 128;

/// The name Unleash gives the variant of a flag that is off or has none.
const DISABLED: &str = "disabled";

/// Usage counts of the documents it is attached to ([`Flags::with_metrics`]), taken as one
/// bucket at a time ([`take`](Self::take)). Cloning shares the counts.
///
/// [`Flags::with_metrics`]: super::Flags::with_metrics
///
/// ```
/// use config_runtime::flags::{Context, FlagMetrics, Flags};
///
/// let metrics = FlagMetrics::new();
/// let flags = Flags::from_json(r#"{"features": [
///     {"name": "checkout", "enabled": true, "strategies": [{"name": "default"}]}]}"#)
///     .unwrap()
///     .with_metrics(&metrics);
/// flags.is_enabled("checkout", &Context::new());
/// flags.variant("checkout", &Context::new());
/// let bucket = metrics.take();
/// assert_eq!(bucket.toggles["checkout"].yes, 2);
/// assert_eq!(bucket.toggles["checkout"].variants["disabled"], 1);
/// assert!(metrics.take().is_empty(), "taken counts start again from zero");
/// ```
#[derive(Clone)]
pub struct FlagMetrics {
    inner: Arc<Inner>,
}

struct Inner {
    /// The counters of every document attached; one no document holds any more is dropped
    /// after its last counts are taken.
    documents: Mutex<Vec<Arc<DocumentCounts>>>,
    unknown: Arc<UnknownCounts>,
    /// When the current bucket began, and counts given back after a failed send.
    pending: Mutex<(SystemTime, BTreeMap<String, ToggleCounts>)>,
    /// Set when the server refused the metrics: documents served after that are not counted.
    stopped: AtomicBool,
}

impl fmt::Debug for FlagMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlagMetrics").finish_non_exhaustive()
    }
}

impl Default for FlagMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The counts of one time window: what Unleash's `POST /api/client/metrics` takes as `bucket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsBucket {
    /// When the window began (the previous [`FlagMetrics::take`], or the first count).
    pub start: SystemTime,
    /// When it ended.
    pub stop: SystemTime,
    /// Counts per flag name; flags not evaluated in the window are left out.
    pub toggles: BTreeMap<String, ToggleCounts>,
}

impl MetricsBucket {
    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.toggles.is_empty()
    }
}

/// One flag's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToggleCounts {
    /// Evaluations that found the flag on.
    pub yes: u64,
    /// Evaluations that found it off.
    pub no: u64,
    /// Variant calls per variant name handed out (`disabled` included).
    pub variants: BTreeMap<String, u64>,
}

impl ToggleCounts {
    fn add(&mut self, other: ToggleCounts) {
        self.yes += other.yes;
        self.no += other.no;
        for (name, n) in other.variants {
            *self.variants.entry(name).or_default() += n;
        }
    }
}

impl FlagMetrics {
    /// Counts that no document is attached to yet.
    pub fn new() -> Self {
        FlagMetrics {
            inner: Arc::new(Inner {
                documents: Mutex::new(Vec::new()),
                unknown: Arc::new(UnknownCounts::new()),
                pending: Mutex::new((SystemTime::now(), BTreeMap::new())),
                stopped: AtomicBool::new(false),
            }),
        }
    }

    /// Lays out the counters of a document's flags and keeps them for [`take`](Self::take);
    /// `None` once the metrics were [stopped](Self::stop).
    pub(crate) fn attach(&self, layout: &[(&str, &[Box<str>])]) -> Option<Arc<DocumentCounts>> {
        if self.is_stopped() {
            return None;
        }
        let counts = Arc::new(DocumentCounts {
            features: layout
                .iter()
                .map(|(name, variants)| FeatureCounts {
                    name: (*name).into(),
                    yes: AtomicU64::new(0),
                    no: AtomicU64::new(0),
                    variants: variants
                        .iter()
                        .map(|v| (v.clone(), AtomicU64::new(0)))
                        .collect(),
                })
                .collect(),
            unknown: self.inner.unknown.clone(),
        });
        lock(&self.inner.documents).push(counts.clone());
        Some(counts)
    }

    /// Stops counting for good (the server refused the metrics): documents served from now on
    /// are not counted, and what was counted is dropped. The document being served keeps
    /// its counters until it is replaced, but nothing reads them any more.
    #[cfg(feature = "live")]
    pub(crate) fn stop(&self) {
        self.inner.stopped.store(true, Ordering::Relaxed);
        lock(&self.inner.documents).clear();
        lock(&self.inner.pending).1.clear();
    }

    /// Whether the metrics were stopped because the server refused them.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::Relaxed)
    }

    /// Everything counted since the previous take (and anything [given back](Self::restore)),
    /// the counters set back to zero.
    pub fn take(&self) -> MetricsBucket {
        let mut toggles = BTreeMap::new();
        {
            let mut documents = lock(&self.inner.documents);
            documents.retain(|doc| {
                // Only this list holds it: no document can count into it any more, so what
                // it holds now is final.
                let retired = Arc::strong_count(doc) == 1;
                doc.drain_into(&mut toggles);
                !retired
            });
        }
        self.inner.unknown.drain_into(&mut toggles);
        let stop = SystemTime::now();
        let mut pending = lock(&self.inner.pending);
        let start = std::mem::replace(&mut pending.0, stop);
        for (name, counts) in std::mem::take(&mut pending.1) {
            toggles.entry(name).or_default().add(counts);
        }
        MetricsBucket {
            start,
            stop,
            toggles,
        }
    }

    /// Gives back a bucket that could not be sent: its counts join the next one, whose window
    /// then starts where this one did.
    pub fn restore(&self, bucket: MetricsBucket) {
        let mut pending = lock(&self.inner.pending);
        pending.0 = pending.0.min(bucket.start);
        for (name, counts) in bucket.toggles {
            pending.1.entry(name).or_default().add(counts);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The counters of one document, by the index of each flag and of each variant name.
pub(crate) struct DocumentCounts {
    features: Box<[FeatureCounts]>,
    unknown: Arc<UnknownCounts>,
}

impl fmt::Debug for DocumentCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentCounts")
            .field("features", &self.features.len())
            .finish_non_exhaustive()
    }
}

struct FeatureCounts {
    name: Box<str>,
    yes: AtomicU64,
    no: AtomicU64,
    /// Slot 0 is `disabled`; the others the flag's variant names ([`variant_names`]).
    variants: Box<[(Box<str>, AtomicU64)]>,
}

impl DocumentCounts {
    /// Counts an evaluation of flag `index` (`None`: a name the document lacks).
    pub(crate) fn count(&self, index: Option<usize>, name: &str, on: bool) {
        match index.map(|i| &self.features[i]) {
            Some(f) => bump(if on { &f.yes } else { &f.no }),
            None => {
                if let Some(slot) = self.unknown.slot(name) {
                    bump(if on { &slot.yes } else { &slot.no });
                }
            }
        }
    }

    /// Counts a variant call: whether the flag was on, and the variant handed out by its slot.
    pub(crate) fn count_variant(&self, index: Option<usize>, name: &str, on: bool, slot: usize) {
        match index.map(|i| &self.features[i]) {
            Some(f) => {
                bump(if on { &f.yes } else { &f.no });
                if let Some((_, n)) = f.variants.get(slot) {
                    bump(n);
                }
            }
            None => {
                if let Some(unknown) = self.unknown.slot(name) {
                    bump(if on { &unknown.yes } else { &unknown.no });
                    bump(&unknown.disabled);
                }
            }
        }
    }

    fn drain_into(&self, toggles: &mut BTreeMap<String, ToggleCounts>) {
        for f in &self.features {
            let variants = f.variants.iter().map(|(name, n)| (&**name, n));
            take_counts(toggles, &f.name, &f.yes, &f.no, variants);
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Moves one flag's counts into the bucket (leaving out a flag with none).
fn take_counts<'a>(
    toggles: &mut BTreeMap<String, ToggleCounts>,
    name: &str,
    yes: &AtomicU64,
    no: &AtomicU64,
    variants: impl Iterator<Item = (&'a str, &'a AtomicU64)>,
) {
    let mut counts = ToggleCounts {
        yes: yes.swap(0, Ordering::Relaxed),
        no: no.swap(0, Ordering::Relaxed),
        variants: BTreeMap::new(),
    };
    for (variant, n) in variants {
        let n = n.swap(0, Ordering::Relaxed);
        if n > 0 {
            *counts.variants.entry(variant.to_owned()).or_default() += n;
        }
    }
    if counts.yes > 0 || counts.no > 0 || !counts.variants.is_empty() {
        toggles.entry(name.to_owned()).or_default().add(counts);
    }
}

/// The variant names of a flag as its counters lay them out: `disabled` first, then each
/// distinct name of the flag's and its strategies' variants, in document order.
pub(crate) fn variant_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<Box<str>> {
    let mut out: Vec<Box<str>> = vec![DISABLED.into()];
    for name in names {
        if !out.iter().any(|n| **n == *name) {
            out.push(name.into());
        }
    }
    out
}

/// Flags evaluated by a name no document had: a fixed open-addressing table.
struct UnknownCounts {
    slots: Box<[UnknownSlot]>,
}

#[derive(Default)]
struct UnknownSlot {
    name: OnceLock<Box<str>>,
    yes: AtomicU64,
    no: AtomicU64,
    /// Variant calls (an unknown flag always hands out `disabled`).
    disabled: AtomicU64,
}

impl UnknownCounts {
    fn new() -> Self {
        UnknownCounts {
            slots: (0..UNKNOWN_SLOTS).map(|_| UnknownSlot::default()).collect(),
        }
    }

    /// The slot counting `name`: found, or claimed (copying the name) when free; `None` when
    /// the table is full.
    fn slot(&self, name: &str) -> Option<&UnknownSlot> {
        // FNV-1a: enough to spread names over the table.
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let first = (hash % UNKNOWN_SLOTS as u64) as usize;
        (0..UNKNOWN_SLOTS)
            .map(|i| &self.slots[(first + i) % UNKNOWN_SLOTS])
            .find(|slot| {
                let held = match slot.name.get() {
                    Some(held) => held,
                    None => slot.name.get_or_init(|| name.into()),
                };
                **held == *name
            })
    }

    fn drain_into(&self, toggles: &mut BTreeMap<String, ToggleCounts>) {
        for slot in &self.slots {
            if let Some(name) = slot.name.get() {
                let variants = std::iter::once((DISABLED, &slot.disabled));
                take_counts(toggles, name, &slot.yes, &slot.no, variants);
            }
        }
    }
}

/// Where a flag source sends usage metrics: [`LiveFlags`](super::LiveFlags) takes one from
/// [`FlagSource::metrics_sink`](super::FlagSource::metrics_sink), registers once, then sends
/// a bucket every [`interval`](Self::interval) on a task of its own (and a last one, without
/// waiting for it, when it is dropped). What follows a failed send is the sink's
/// [`SendError`], as Unleash's official SDKs decide it: try again, back off, or stop. Failures
/// are logged and never stop evaluation.
#[cfg(feature = "live")]
pub trait MetricsSink: Send + 'static {
    /// What logs call the sink (never a secret).
    fn describe(&self) -> String;

    /// How often a bucket is sent.
    fn interval(&self) -> Duration;

    /// Announces the application once, when following starts; `started` is that time. A
    /// failure is logged; sending goes on.
    fn register(&mut self, started: SystemTime) -> BoxFuture<'_, Result<(), FlagsError>>;

    /// Sends one bucket (never empty).
    fn send<'a>(&'a mut self, bucket: &'a MetricsBucket) -> BoxFuture<'a, Result<(), SendError>>;
}

/// Why a bucket was not sent, and what the sending task does next. The variants follow the
/// Unleash Node SDK (`metrics.ts`): credentials refused stop the metrics, an overloaded or
/// failing server backs off, anything else is tried again.
#[cfg(feature = "live")]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The bucket is kept and goes with the next one, after the usual wait (the server could
    /// not be reached, or gave an answer no other rule names).
    Retry(FlagsError),
    /// The bucket is kept, and each such failure in a row adds one interval to the wait
    /// (up to [`MAX_BACKOFF`] more); each bucket that goes takes one off again (Unleash:
    /// `404`, `429`, `500`, `502`, `503`, `504`).
    BackOff(FlagsError),
    /// The bucket is dropped and the metrics stop for good: nothing more is sent, and documents
    /// served from then on are not counted ([`FlagMetrics::is_stopped`]); evaluation goes
    /// on. For credentials the server refuses (Unleash: `401`, `403`), which only a restart
    /// with others can fix.
    Stop(FlagsError),
}

#[cfg(feature = "live")]
impl SendError {
    /// What went wrong.
    pub fn error(&self) -> &FlagsError {
        match self {
            SendError::Retry(e) | SendError::BackOff(e) | SendError::Stop(e) => e,
        }
    }
}

#[cfg(feature = "live")]
impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error().fmt(f)
    }
}

#[cfg(feature = "live")]
impl std::error::Error for SendError {}

/// The most intervals [`SendError::BackOff`] adds to the wait (Unleash's SDKs: ten).
#[cfg(feature = "live")]
pub const MAX_BACKOFF: u32 = 10;

/// Starts the task that registers and sends; it ends (after a last send) when the returned
/// sender is dropped, or when the sink says [stop](SendError::Stop).
#[cfg(feature = "live")]
pub(crate) fn report(
    mut sink: Box<dyn MetricsSink>,
    metrics: FlagMetrics,
) -> tokio::sync::oneshot::Sender<()> {
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let interval = sink.interval().max(Duration::from_millis(100));
        if let Err(e) = sink.register(SystemTime::now()).await {
            tracing::warn!(sink = %sink.describe(), "flag metrics: registration failed: {e}");
        }
        // Failures in a row that backed off; the wait is one interval more for each.
        let mut failures: u32 = 0;
        loop {
            let last = tokio::select! {
                _ = &mut stopped => true,
                () = tokio::time::sleep(interval * (1 + failures)) => false,
            };
            let bucket = metrics.take();
            if !bucket.is_empty() {
                match sink.send(&bucket).await {
                    Ok(()) => failures = failures.saturating_sub(1),
                    Err(SendError::Stop(e)) => {
                        metrics.stop();
                        tracing::warn!(
                            sink = %sink.describe(),
                            "flag metrics stopped: {e}; no more counts are sent until a restart"
                        );
                        return;
                    }
                    Err(SendError::BackOff(e)) => {
                        failures = (failures + 1).min(MAX_BACKOFF);
                        tracing::warn!(
                            sink = %sink.describe(),
                            retry_in = ?interval * (1 + failures),
                            "flag metrics not sent, kept for the next bucket, backing off: {e}"
                        );
                        metrics.restore(bucket);
                    }
                    Err(SendError::Retry(e)) => {
                        tracing::warn!(
                            sink = %sink.describe(),
                            "flag metrics not sent, kept for the next bucket: {e}"
                        );
                        metrics.restore(bucket);
                    }
                }
            }
            if last {
                return;
            }
        }
    });
    stop
}

#[cfg(test)]
mod tests {
    use super::super::{Context, Flags, Forced, KillSwitch};
    use super::*;

    const DOC: &str = r#"{"features": [
        {"name": "on", "enabled": true, "strategies": [{"name": "default"}],
         "variants": [{"name": "blue", "weight": 1000}]},
        {"name": "half", "enabled": true,
         "strategies": [{"name": "userWithId", "parameters": {"userIds": "1"},
                         "variants": [{"name": "strategy-green", "weight": 1000}]}],
         "variants": [{"name": "blue", "weight": 500}, {"name": "red", "weight": 500}]},
        {"name": "child", "enabled": true, "strategies": [{"name": "default"}],
         "dependencies": [{"feature": "half"}]}
    ]}"#;

    fn counts(yes: u64, no: u64, variants: &[(&str, u64)]) -> ToggleCounts {
        ToggleCounts {
            yes,
            no,
            variants: variants.iter().map(|(v, n)| ((*v).into(), *n)).collect(),
        }
    }

    #[test]
    fn counts_yes_no_and_variants_as_unleash_sdks_do() {
        let metrics = FlagMetrics::new();
        let flags = Flags::from_json(DOC).unwrap().with_metrics(&metrics);
        let one = Context::new().user_id("1");
        let two = Context::new().user_id("2");
        for _ in 0..3 {
            assert!(flags.is_enabled("half", &one));
        }
        assert!(!flags.is_enabled("half", &two));
        assert_eq!(flags.variant("half", &one).name, "strategy-green");
        assert_eq!(flags.variant("half", &two).name, "disabled");
        assert_eq!(flags.variant("on", &two).name, "blue");
        // The parent `half` is evaluated too, but only the flag asked for is counted.
        assert!(flags.is_enabled("child", &one));
        assert!(!flags.is_enabled("child", &two));
        assert!(!flags.is_enabled("nowhere", &one));
        assert_eq!(flags.variant("nowhere", &one).name, "disabled");

        let bucket = metrics.take();
        assert!(bucket.start <= bucket.stop);
        let expected: BTreeMap<String, ToggleCounts> = [
            (
                "half",
                counts(4, 2, &[("strategy-green", 1), ("disabled", 1)]),
            ),
            ("on", counts(1, 0, &[("blue", 1)])),
            ("child", counts(1, 1, &[])),
            ("nowhere", counts(0, 2, &[("disabled", 1)])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(bucket.toggles, expected);
        assert!(metrics.take().is_empty());
    }

    #[test]
    fn without_metrics_nothing_is_counted_and_the_kill_switch_answer_is() {
        let metrics = FlagMetrics::new();
        let plain = Flags::from_json(DOC).unwrap();
        assert!(plain.is_enabled("on", &Context::new()));
        let forced = Flags::from_json(DOC)
            .unwrap()
            .with_kill_switch(KillSwitch::new().force("on", Forced::Off))
            .with_metrics(&metrics);
        assert!(!forced.is_enabled("on", &Context::new()));
        assert_eq!(metrics.take().toggles["on"], counts(0, 1, &[]));
    }

    #[test]
    fn counts_survive_a_document_swap_and_a_failed_send() {
        let metrics = FlagMetrics::new();
        let ctx = Context::new().user_id("1");
        let old = Flags::from_json(DOC).unwrap().with_metrics(&metrics);
        let held = old.clone();
        old.is_enabled("on", &ctx);
        drop(old);
        // A new document without `half`; a reader still holds the old one and counts on it.
        let new = Flags::from_json(
            r#"{"features": [{"name": "on", "enabled": false},
                             {"name": "half", "enabled": false}]}"#,
        )
        .unwrap()
        .with_metrics(&metrics);
        new.is_enabled("on", &ctx);
        held.is_enabled("half", &ctx);
        let first = metrics.take();
        assert_eq!(first.toggles["on"], counts(1, 1, &[]));
        assert_eq!(first.toggles["half"], counts(1, 0, &[]));
        // After the take, the retired document still counts until its last holder lets go.
        held.is_enabled("on", &ctx);
        drop(held);
        metrics.restore(first.clone());
        let second = metrics.take();
        assert_eq!(
            second.start, first.start,
            "a given-back bucket keeps its start"
        );
        assert_eq!(second.toggles["on"], counts(2, 1, &[]));
        assert_eq!(second.toggles["half"], counts(1, 0, &[]));
        assert_eq!(
            lock(&metrics.inner.documents).len(),
            1,
            "the old one is let go"
        );
    }

    #[cfg(feature = "live")]
    #[test]
    fn stopped_metrics_keep_and_count_nothing() {
        let metrics = FlagMetrics::new();
        let ctx = Context::new().user_id("1");
        let served = Flags::from_json(DOC).unwrap().with_metrics(&metrics);
        served.is_enabled("on", &ctx);
        metrics.restore(metrics.take());
        served.is_enabled("on", &ctx);
        assert!(!metrics.is_stopped());
        metrics.stop();
        assert!(metrics.is_stopped());
        assert!(
            metrics.take().is_empty(),
            "counts and given-back counts dropped"
        );
        let next = Flags::from_json(DOC).unwrap().with_metrics(&metrics);
        next.is_enabled("on", &ctx);
        assert!(
            next.usage.is_none(),
            "a document served after the stop is not counted"
        );
        assert!(metrics.take().is_empty());
        assert!(lock(&metrics.inner.documents).is_empty());
    }

    #[test]
    fn typed_flags_count_their_answer() {
        use super::super::{Flag, FlagField, FlagInfo};
        static INFO: FlagInfo = FlagInfo {
            name: "absent",
            default: true,
            doc: "",
        };
        let metrics = FlagMetrics::new();
        let flags = Flags::from_json(DOC).unwrap().with_metrics(&metrics);
        assert!(Flag::declare(&INFO).is_enabled(&flags, &Context::new()));
        assert_eq!(metrics.take().toggles["absent"], counts(1, 0, &[]));
    }
}
