//! Leases of dynamic secrets (database credentials and the like).
//!
//! A leased secret is kept for its lease: reading its path again while the lease lives gives
//! the same credentials, so cache refreshes do not mint a new lease each time. Each lease is
//! renewed in the background once two thirds of it have passed; when Vault refuses a renewal
//! (max TTL reached, lease revoked) the secret is fetched again, giving new credentials, and
//! the superseded lease is revoked. `shutdown` revokes them all.
//!
//! Lease durations come from the server: any value, a hostile one included, is clamped to
//! [`LONGEST_LEASE`] before it is added to a clock reading.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use config_runtime::{SecretData, SecretProvider};
use serde_json::Value;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::VaultStore;
use crate::store::WeakProvider;

/// The longest lease the provider plans with (ten years); longer ones are read as this, so
/// that `now + lease` cannot overflow.
pub(super) const LONGEST_LEASE: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// When to renew a lease (or token) of `duration`: two thirds into it, never overflowing.
pub(super) fn renew_after(duration: Duration) -> Duration {
    (duration.min(LONGEST_LEASE) / 3).saturating_mul(2)
}

/// `from + wait`, saturating instead of panicking.
pub(super) fn saturating_from(from: std::time::Instant, wait: Duration) -> std::time::Instant {
    from.checked_add(wait.min(LONGEST_LEASE))
        .or_else(|| from.checked_add(Duration::from_secs(3600)))
        .unwrap_or(from)
}

fn later(wait: Duration) -> Instant {
    Instant::from_std(saturating_from(Instant::now().into_std(), wait))
}

/// One lease, as the provider tracks it (no secret in it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeaseInfo {
    /// Vault's lease id (`database/creds/app/…`).
    pub lease_id: String,
    /// The reference path that produced it.
    pub path: String,
    /// The current lease duration.
    pub duration: Duration,
    /// How many times it was renewed.
    pub renewals: u32,
}

/// A lease and the secret it covers.
struct Held {
    info: LeaseInfo,
    /// The credentials, answered again while the lease lives.
    data: SecretData,
    expires_at: Instant,
    /// False once renewal was refused: the next read fetches new credentials.
    usable: bool,
    renewal: Option<AbortHandle>,
}

#[derive(Default)]
pub(super) struct Leases {
    by_id: Arc<Mutex<HashMap<String, Held>>>,
}

/// The lease in a read answer, if it has a renewable, non-zero one.
pub(super) fn lease_of(body: &Value, path: &str) -> Option<LeaseInfo> {
    let lease_id = body["lease_id"].as_str().filter(|id| !id.is_empty())?;
    let seconds = body["lease_duration"].as_u64().filter(|s| *s > 0)?;
    Some(LeaseInfo {
        lease_id: lease_id.to_owned(),
        path: path.to_owned(),
        duration: Duration::from_secs(seconds).min(LONGEST_LEASE),
        renewals: 0,
    })
}

fn lock(map: &Mutex<HashMap<String, Held>>) -> MutexGuard<'_, HashMap<String, Held>> {
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Leases {
    pub fn list(&self) -> Vec<LeaseInfo> {
        let mut leases: Vec<LeaseInfo> = lock(&self.by_id)
            .values()
            .map(|held| held.info.clone())
            .collect();
        leases.sort_by(|a, b| a.lease_id.cmp(&b.lease_id));
        leases
    }

    /// Removes every lease and stops its renewal.
    pub fn take_all(&self) -> Vec<LeaseInfo> {
        let mut taken: Vec<LeaseInfo> = lock(&self.by_id)
            .drain()
            .map(|(_, held)| {
                if let Some(renewal) = held.renewal {
                    renewal.abort();
                }
                held.info
            })
            .collect();
        taken.sort_by(|a, b| a.lease_id.cmp(&b.lease_id));
        taken
    }

    /// The credentials of a live lease for `path`, if one is held.
    pub fn current(&self, path: &str) -> Option<SecretData> {
        let now = Instant::now();
        lock(&self.by_id)
            .values()
            .filter(|held| held.info.path == path && held.usable && held.expires_at > now)
            .max_by_key(|held| held.expires_at)
            .map(|held| held.data.clone())
    }

    /// Holds `lease` for `data` and starts renewing it in the background (when a tokio
    /// runtime is running). Returns the leases of the same path it supersedes, removed from
    /// the table, for the caller to revoke.
    pub fn track(
        &self,
        lease: LeaseInfo,
        data: SecretData,
        provider: &WeakProvider<VaultStore>,
    ) -> Vec<LeaseInfo> {
        let id = lease.lease_id.clone();
        let path = lease.path.clone();
        let mut table = lock(&self.by_id);
        let superseded: Vec<String> = table
            .iter()
            .filter(|(other, held)| held.info.path == path && **other != id)
            .map(|(other, _)| other.clone())
            .collect();
        let superseded = superseded
            .iter()
            .filter_map(|other| table.remove(other))
            .map(|held| {
                if let Some(renewal) = held.renewal {
                    renewal.abort();
                }
                held.info
            })
            .collect();
        let expires_at = later(lease.duration);
        let renewal = self.spawn_renewal(&id, provider);
        table.insert(
            id,
            Held {
                info: lease,
                data,
                expires_at,
                usable: true,
                renewal,
            },
        );
        superseded
    }

    fn spawn_renewal(&self, id: &str, provider: &WeakProvider<VaultStore>) -> Option<AbortHandle> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(target: "config_providers::vault", "no tokio runtime: lease {id} will not be renewed");
            return None;
        };
        // The task holds only a weak handle, so dropping every provider clone ends it.
        let weak = provider.clone();
        let table = Arc::clone(&self.by_id);
        let id = id.to_owned();
        let task = runtime.spawn(async move {
            loop {
                let Some(lease) = lock(&table).get(&id).map(|held| held.info.clone()) else {
                    return;
                };
                tokio::time::sleep_until(later(renew_after(lease.duration))).await;
                let Some(provider) = weak.upgrade() else { return };
                if !lock(&table).contains_key(&id) {
                    return; // revoked by shutdown or superseded meanwhile
                }
                match provider.inner.renew_lease(&id, lease.duration, &lease.path).await {
                    Ok(duration) if duration > Duration::ZERO => {
                        let duration = duration.min(LONGEST_LEASE);
                        if let Some(held) = lock(&table).get_mut(&id) {
                            held.info.duration = duration;
                            held.info.renewals = held.info.renewals.saturating_add(1);
                            held.expires_at = later(duration);
                        }
                        tracing::debug!(target: "config_providers::vault", path = %lease.path, "renewed a lease");
                    }
                    outcome => {
                        if let Some(held) = lock(&table).get_mut(&id) {
                            held.usable = false;
                            // This task fetches the successor: superseding must not abort it.
                            held.renewal = None;
                        }
                        let why = outcome.err().map(|e| e.to_string()).unwrap_or_else(|| "no time left".to_owned());
                        tracing::warn!(target: "config_providers::vault", path = %lease.path, "lease renewal refused ({why}); fetching new credentials");
                        // The read tracks the new lease, which supersedes (and revokes) this one.
                        provider.invalidate(&lease.path);
                        if let Err(e) = provider.get(&lease.path).await {
                            tracing::warn!(target: "config_providers::vault", path = %lease.path, "cannot fetch new credentials: {e}");
                        }
                        return;
                    }
                }
            }
        });
        Some(task.abort_handle())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `duration * 2 / 3` and `now + ..` once panicked for a hostile lease, killing the
    /// renewal task.
    #[test]
    fn hostile_lease_durations_do_not_overflow() {
        assert_eq!(
            renew_after(Duration::from_secs(30)),
            Duration::from_secs(20)
        );
        for seconds in [u64::MAX, u64::MAX / 2 + 1] {
            let wait = renew_after(Duration::from_secs(seconds));
            assert!(wait <= LONGEST_LEASE);
            let now = std::time::Instant::now();
            assert!(saturating_from(now, Duration::MAX) > now);
        }
        let body = serde_json::json!({"lease_id": "db/creds/x/1", "lease_duration": u64::MAX});
        assert_eq!(
            lease_of(&body, "db/creds/x").unwrap().duration,
            LONGEST_LEASE
        );
    }
}
