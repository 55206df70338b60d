//! The secret cache over one simulated hour (tokio's paused clock): 50 secrets, each read
//! once a second by the application, with the default policy (5 min TTL, refresh in the last
//! 20 %). Reports how many provider calls the cache saved against reading through.
//!
//! Run: `cargo bench -p config-benches --bench cache_hour`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use config_providers::audit::{AuditRecord, AuditSink};
use config_providers::cache::CachePolicy;
use config_providers::safeguards::Safeguards;
use config_providers::store::{CachedProvider, SecretStore};
use config_runtime::{ProviderError, SecretData};

/// Audit records are not the subject here.
struct Discard;
impl AuditSink for Discard {
    fn record(&self, _: &AuditRecord) {}
}

/// A store that counts its reads, each a round trip.
#[derive(Debug)]
struct Counting {
    calls: Arc<AtomicU64>,
}

impl SecretStore for Counting {
    fn scheme(&self) -> &str {
        "bench"
    }

    async fn read(&self, path: &str) -> Result<SecretData, ProviderError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(5)).await; // a store round trip
        Ok(SecretData::text(format!("value of {path}")))
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let calls = Arc::new(AtomicU64::new(0));
        let store = Counting {
            calls: Arc::clone(&calls),
        };
        let policy = CachePolicy::default();
        let cache = CachedProvider::new(store, Safeguards::default().cache(policy).audit(Discard));
        let (secrets, seconds) = (50u64, 3600u64);
        for _ in 0..seconds {
            for i in 0..secrets {
                cache.get(&format!("secret/{i}")).await.expect("read");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let reads = secrets * seconds;
        let provider_calls = calls.load(Ordering::Relaxed);
        let stats = cache.cache_stats();
        println!(
            "simulated hour: {secrets} secrets read once a second, TTL {:?}, refresh ahead {:.0} %",
            policy.ttl,
            policy.refresh_ahead * 100.0
        );
        println!("  reads:               {reads}");
        println!("  provider calls:      {provider_calls} (without a cache: {reads})");
        println!(
            "  calls saved:         {} ({:.2} %)",
            reads - provider_calls,
            100.0 * (reads - provider_calls) as f64 / reads as f64
        );
        println!("  hits / misses:       {} / {}", stats.hits, stats.misses);
        println!(
            "  background refreshes: {} (callers never waited for them)",
            stats.refreshes
        );
    });
}
