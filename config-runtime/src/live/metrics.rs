//! Counters of the reloads of one [`Live`](super::Live), read with
//! [`Live::metrics`](super::Live::metrics) and also logged through `tracing` after each reload,
//! and (feature `metrics`) told to the `metrics` facade for whichever exporter the application
//! installs: counters `config_reloads_total` (`outcome` = `applied` | `rejected`) and
//! `config_overrides_total` (`outcome` = `applied` | `refused`), and the gauge
//! `config_version`, each labelled with the `config` type's name.

use std::time::SystemTime;

/// How reloads have gone so far. A snapshot: call [`Live::metrics`](super::Live::metrics)
/// again for fresh numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReloadMetrics {
    /// Reloads that swapped in a new snapshot.
    pub applied: u64,
    /// Reloads that failed to load or validate (the old snapshot stayed).
    pub rejected: u64,
    /// Applied reloads in which at least one `restart` field changed and was kept.
    pub restart_blocked: u64,
    /// The error text of the latest rejected reload (secret values are never in it); it stays
    /// after later successes: compare with [`last_success`](Self::last_success).
    pub last_error: Option<String>,
    /// When the latest rejected reload happened.
    pub last_error_at: Option<SystemTime>,
    /// When the latest successful load happened (the first load included).
    pub last_success: Option<SystemTime>,
}

/// One thing a [`Live`](super::Live) tells the `metrics` facade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    ReloadApplied,
    ReloadRejected,
    OverrideApplied,
    OverrideRefused,
}

/// Tells the facade that `signal` happened to the config named `config` (nothing without the
/// `metrics` feature).
pub(crate) fn emit(config: &'static str, signal: Signal) {
    #[cfg(feature = "metrics")]
    {
        let (name, outcome) = match signal {
            Signal::ReloadApplied => ("config_reloads_total", "applied"),
            Signal::ReloadRejected => ("config_reloads_total", "rejected"),
            Signal::OverrideApplied => ("config_overrides_total", "applied"),
            Signal::OverrideRefused => ("config_overrides_total", "refused"),
        };
        metrics::counter!(name, "config" => config, "outcome" => outcome).increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (config, signal);
}

/// Tells the facade the version now served.
pub(crate) fn version(config: &'static str, version: u64) {
    #[cfg(feature = "metrics")]
    metrics::gauge!("config_version", "config" => config).set(version as f64);
    #[cfg(not(feature = "metrics"))]
    let _ = (config, version);
}
