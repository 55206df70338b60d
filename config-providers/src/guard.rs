//! Protection for secret stores: a circuit breaker (after repeated transient failures, stop
//! calling the store for a cool-down, failing fast so fallbacks answer at once) and a request
//! rate bound (so a cold start of many instances does not flood the store).

use std::sync::Mutex;
use std::time::Duration;

use config_runtime::{ProviderError, ProviderErrorKind};
use tokio::time::Instant;

/// Opens after `threshold` consecutive transient failures; lets one call through after
/// `cooldown` (half-open): success closes it, failure opens it again.
#[derive(Debug)]
pub(crate) struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<BreakerState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BreakerState {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub(crate) fn new(threshold: u32, cooldown: Duration) -> Self {
        CircuitBreaker {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(BreakerState::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a call may go to the store now; `Err` (unavailable) while open.
    pub(crate) fn admit(&self, shown: &str) -> Result<(), ProviderError> {
        let mut state = self.lock();
        match *state {
            BreakerState::Open { until } if Instant::now() < until => Err(ProviderError::new(
                ProviderErrorKind::Unavailable,
                format!(
                    "not asking the store for `{shown}`: it failed {} times in a row; retrying in {} s",
                    self.threshold,
                    until
                        .saturating_duration_since(Instant::now())
                        .as_secs()
                        .max(1)
                ),
            )),
            BreakerState::Open { .. } => {
                *state = BreakerState::HalfOpen;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The state now, as health reports show it.
    pub(crate) fn state(&self) -> config_runtime::Breaker {
        match *self.lock() {
            BreakerState::Closed { .. } => config_runtime::Breaker::Closed,
            BreakerState::Open { until } if Instant::now() < until => config_runtime::Breaker::Open,
            BreakerState::Open { .. } | BreakerState::HalfOpen => config_runtime::Breaker::HalfOpen,
        }
    }

    /// Records the outcome of an admitted call; whether that opened the breaker.
    pub(crate) fn record(&self, outcome: &Result<impl Sized, ProviderError>) -> BreakerChange {
        let mut state = self.lock();
        let before = *state;
        *state = match (outcome, *state) {
            (Ok(_), _) => BreakerState::Closed { failures: 0 },
            (Err(e), current) if !e.is_transient() => match current {
                BreakerState::HalfOpen => BreakerState::Closed { failures: 0 },
                other => other,
            },
            (Err(_), BreakerState::Closed { failures }) if failures + 1 < self.threshold => {
                BreakerState::Closed {
                    failures: failures + 1,
                }
            }
            (Err(_), _) => {
                tracing::warn!(target: "config_providers", "circuit opened for {:?}", self.cooldown);
                BreakerState::Open {
                    until: later(Instant::now(), self.cooldown),
                }
            }
        };
        let opened = matches!(*state, BreakerState::Open { .. })
            && !matches!(before, BreakerState::Open { .. });
        if opened {
            BreakerChange::Opened
        } else {
            BreakerChange::Unchanged
        }
    }
}

/// What recording an outcome did to the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BreakerChange {
    /// It opened: calls now fail fast for a cool-down.
    Opened,
    /// It stayed open or closed, or closed again.
    Unchanged,
}

/// `from + wait`, saturating at a far future instead of panicking on a huge `wait`.
pub(crate) fn later(from: Instant, wait: Duration) -> Instant {
    /// Longer than any setting means, short enough to add to any clock reading.
    const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    from.checked_add(wait.min(FAR))
        .or_else(|| from.checked_add(Duration::from_secs(24 * 3600)))
        .unwrap_or(from)
}

/// Spaces calls at least `1 / rate` seconds apart.
#[derive(Debug)]
pub(crate) struct RateLimit {
    interval: Duration,
    next: Mutex<Instant>,
}

impl RateLimit {
    /// At most `per_second` calls a second.
    pub(crate) fn new(per_second: f64) -> Self {
        RateLimit {
            interval: Duration::from_secs_f64(1.0 / per_second.max(0.001)),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this call's slot.
    pub(crate) async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let slot = (*next).max(Instant::now());
            *next = later(slot, self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down() -> Result<(), ProviderError> {
        Err(ProviderError::new(ProviderErrorKind::Unavailable, "down"))
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_repeated_failures_and_recovers() {
        let breaker = CircuitBreaker::new(3, Duration::from_secs(30));
        for _ in 0..3 {
            breaker.admit("p").unwrap();
            breaker.record(&down());
        }
        let err = breaker.admit("p").unwrap_err();
        assert!(err.message.contains("failed 3 times in a row"), "{err}");
        tokio::time::advance(Duration::from_secs(31)).await;
        breaker.admit("p").unwrap(); // half-open: one try
        breaker.record(&Ok::<(), ProviderError>(()));
        breaker.admit("p").unwrap();
    }

    /// `now + cooldown` once panicked for a huge cooldown, inside every read that opened it.
    #[tokio::test(start_paused = true)]
    async fn a_huge_cooldown_saturates() {
        let breaker = CircuitBreaker::new(1, Duration::MAX);
        breaker.admit("p").unwrap();
        breaker.record(&down());
        assert!(breaker.admit("p").is_err());
        let limit = RateLimit::new(f64::NAN);
        limit.wait().await;
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_does_not_open_the_circuit() {
        let breaker = CircuitBreaker::new(1, Duration::from_secs(30));
        breaker.record(&Err::<(), _>(ProviderError::new(
            ProviderErrorKind::NotFound,
            "404",
        )));
        breaker.admit("p").unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limit_spaces_calls() {
        let limit = RateLimit::new(10.0);
        let start = Instant::now();
        for _ in 0..11 {
            limit.wait().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
