//! Leases of dynamic secrets (database credentials and the like). Each lease is renewed in
//! the background once two thirds of it have passed; when Vault refuses a renewal (max TTL
//! reached, lease revoked) the secret is fetched again, giving new credentials. `shutdown`
//! revokes them all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use config_runtime::SecretProvider;
use serde_json::Value;
use tokio::time::Instant;

use super::VaultStore;
use crate::store::WeakProvider;

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

#[derive(Default)]
pub(super) struct Leases {
    by_id: Arc<Mutex<HashMap<String, LeaseInfo>>>,
}

/// The lease in a read answer, if it has a renewable, non-zero one.
pub(super) fn lease_of(body: &Value, path: &str) -> Option<LeaseInfo> {
    let lease_id = body["lease_id"].as_str().filter(|id| !id.is_empty())?;
    let seconds = body["lease_duration"].as_u64().filter(|s| *s > 0)?;
    Some(LeaseInfo {
        lease_id: lease_id.to_owned(),
        path: path.to_owned(),
        duration: Duration::from_secs(seconds),
        renewals: 0,
    })
}

fn lock(map: &Mutex<HashMap<String, LeaseInfo>>) -> MutexGuard<'_, HashMap<String, LeaseInfo>> {
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Leases {
    pub fn list(&self) -> Vec<LeaseInfo> {
        let mut leases: Vec<LeaseInfo> = lock(&self.by_id).values().cloned().collect();
        leases.sort_by(|a, b| a.lease_id.cmp(&b.lease_id));
        leases
    }

    pub fn take_all(&self) -> Vec<LeaseInfo> {
        lock(&self.by_id).drain().map(|(_, lease)| lease).collect()
    }

    /// Starts renewing `lease` in the background (when a tokio runtime is running).
    pub fn track(&self, lease: LeaseInfo, provider: &WeakProvider<VaultStore>) {
        let id = lease.lease_id.clone();
        lock(&self.by_id).insert(id.clone(), lease);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(target: "config_providers::vault", "no tokio runtime: lease {id} will not be renewed");
            return;
        };
        // The task holds only a weak handle, so dropping every provider clone ends it.
        let weak = provider.clone();
        let table = Arc::clone(&self.by_id);
        runtime.spawn(async move {
            loop {
                let Some(lease) = lock(&table).get(&id).cloned() else { return };
                tokio::time::sleep_until(Instant::now() + lease.duration * 2 / 3).await;
                let Some(provider) = weak.upgrade() else { return };
                if !lock(&table).contains_key(&id) {
                    return; // revoked by shutdown meanwhile
                }
                match provider.inner.renew_lease(&id, lease.duration, &lease.path).await {
                    Ok(duration) if duration > Duration::ZERO => {
                        if let Some(entry) = lock(&table).get_mut(&id) {
                            entry.duration = duration;
                            entry.renewals += 1;
                        }
                        tracing::debug!(target: "config_providers::vault", path = %lease.path, "renewed a lease");
                    }
                    outcome => {
                        lock(&table).remove(&id);
                        let why = outcome.err().map(|e| e.to_string()).unwrap_or_else(|| "no time left".to_owned());
                        tracing::warn!(target: "config_providers::vault", path = %lease.path, "lease renewal refused ({why}); fetching new credentials");
                        provider.invalidate(&lease.path);
                        if let Err(e) = provider.get(&lease.path).await {
                            tracing::warn!(target: "config_providers::vault", path = %lease.path, "cannot fetch new credentials: {e}");
                        }
                        return;
                    }
                }
            }
        });
    }
}
