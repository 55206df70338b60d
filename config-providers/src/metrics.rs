//! What the cache and the circuit breaker tell the `metrics` facade (feature `metrics`), so
//! whichever exporter the application installs picks them up; without the feature, nothing.
//!
//! Counters, each labelled with the provider's `scheme`: `config_provider_cache_hits_total`,
//! `config_provider_cache_misses_total`, `config_provider_calls_total`,
//! `config_provider_errors_total`, `config_provider_refreshes_total`,
//! `config_provider_stale_served_total`, `config_provider_last_known_good_total`,
//! `config_provider_breaker_opens_total`.

/// One thing a provider's cache or breaker did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    Hit,
    Miss,
    Call,
    Error,
    Refresh,
    Stale,
    LastKnownGood,
    BreakerOpened,
}

impl Event {
    /// The counter's name.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn name(self) -> &'static str {
        match self {
            Event::Hit => "config_provider_cache_hits_total",
            Event::Miss => "config_provider_cache_misses_total",
            Event::Call => "config_provider_calls_total",
            Event::Error => "config_provider_errors_total",
            Event::Refresh => "config_provider_refreshes_total",
            Event::Stale => "config_provider_stale_served_total",
            Event::LastKnownGood => "config_provider_last_known_good_total",
            Event::BreakerOpened => "config_provider_breaker_opens_total",
        }
    }
}

/// Tells the facade that `event` happened at the provider of `scheme`.
pub(crate) fn emit(scheme: &str, event: Event) {
    #[cfg(feature = "metrics")]
    metrics::counter!(event.name(), "scheme" => scheme.to_owned()).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (scheme, event);
}
