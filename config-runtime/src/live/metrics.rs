//! Counters of the reloads of one [`Live`](super::Live), read with
//! [`Live::metrics`](super::Live::metrics) and also logged through `tracing` after each reload.

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
