//! What reaches the `metrics` facade (features `metrics` of both crates), read back through
//! metrics-util's debugging recorder installed as this test binary's global recorder: reloads
//! applied and rejected, overrides applied and refused, the version, and a real OpenBao
//! provider's calls, cache hits and breaker opening; the same counts in `Live::providers`.

use std::time::Duration;

use config_providers::cache::CachePolicy;
use config_providers::safeguards::Safeguards;
use config_providers::vault::VaultProvider;
use config_runtime::{Breaker, Config, SecretProvider};
use config_tests::Scratch;
use config_tests::events::{applied_changed, next};
use config_tests::files::save;
use config_tests::fixtures::Db;
use config_tests::services::{BAO_ROOT_TOKEN, OpenBaoAdmin, start_openbao};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use serde_json::json;

/// What the recorder was told since the previous look (its counters and gauges start again
/// from zero after each snapshot).
struct Seen(Vec<(metrics_util::CompositeKey, DebugValue)>);

impl Seen {
    fn take(snapshotter: &Snapshotter) -> Seen {
        let entries = snapshotter.snapshot().into_vec();
        Seen(
            entries
                .into_iter()
                .map(|(key, _, _, value)| (key, value))
                .collect(),
        )
    }

    /// The counter or gauge `name` whose labels include `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.0
            .iter()
            .find(|(key, _)| {
                let key = key.key();
                key.name() == name
                    && labels
                        .iter()
                        .all(|(k, v)| key.labels().any(|l| l.key() == *k && l.value() == *v))
            })
            .map(|(_, value)| match value {
                DebugValue::Counter(count) => *count as f64,
                DebugValue::Gauge(gauge) => gauge.into_inner(),
                DebugValue::Histogram(_) => f64::NAN,
            })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_overrides_and_provider_calls_reach_the_facade() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this test binary");
    let Some(mut server) = start_openbao() else {
        return;
    };
    OpenBaoAdmin::new(&server)
        .write_secret("app", json!({"password": "pw-from-bao"}))
        .await;
    let safeguards = Safeguards::default().cache(CachePolicy {
        breaker_threshold: 2,
        breaker_cooldown: Duration::from_secs(60),
        ..CachePolicy::default()
    });
    let vault = VaultProvider::builder(&server.url)
        .token(BAO_ROOT_TOKEN)
        .safeguards(safeguards)
        .build()
        .unwrap();

    let scratch = Scratch::new();
    let path = scratch.write("db.toml", "user = \"app\"\n");
    let live = Db::loader()
        .vars([("V_PASSWORD", "${vault:secret/app#password}")])
        .file(&path)
        .provider(vault.clone())
        .watch()
        .await
        .unwrap();
    let mut events = live.subscribe();
    let config = [("config", "Db")];

    save(&path, "user = \"svc\"\n");
    applied_changed(&mut events).await;
    save(&path, "user = \"svc\"\nnot_a_key = 1\n");
    next(&mut events).await; // rejected: an unknown key
    save(&path, "user = \"svc\"\n"); // valid again, and the same values: no event
    live.reload().await.unwrap();
    live.set_override("user", "ops", "test").await.unwrap();
    live.set_override("nope", "x", "test").await.unwrap_err();
    let applied = [("config", "Db"), ("outcome", "applied")];
    let rejected = [("config", "Db"), ("outcome", "rejected")];
    let refused = [("config", "Db"), ("outcome", "refused")];
    let seen = Seen::take(&snapshotter);
    assert_eq!(seen.value("config_reloads_total", &applied), Some(1.0));
    assert_eq!(seen.value("config_reloads_total", &rejected), Some(1.0));
    assert_eq!(seen.value("config_overrides_total", &applied), Some(1.0));
    assert_eq!(seen.value("config_overrides_total", &refused), Some(1.0));
    assert_eq!(seen.value("config_version", &config), Some(3.0));

    // The provider: one call for the first load, then answers from its cache.
    let vault_label = [("scheme", "vault")];
    assert_eq!(
        seen.value("config_provider_calls_total", &vault_label),
        Some(1.0)
    );
    assert!(seen.value("config_provider_cache_hits_total", &vault_label) >= Some(1.0));

    // The store goes away: two failed calls open the breaker.
    server.stop();
    let before = Seen::take(&snapshotter);
    assert_eq!(
        before.value("config_provider_breaker_opens_total", &vault_label),
        None
    );
    for _ in 0..2 {
        vault.invalidate("secret/app");
        vault.fetch("secret/app").await.unwrap_err();
    }
    let seen = Seen::take(&snapshotter);
    assert_eq!(
        seen.value("config_provider_breaker_opens_total", &vault_label),
        Some(1.0)
    );
    let status = &live.providers()[0];
    assert_eq!(
        (status.scheme.as_str(), status.breaker),
        ("vault", Breaker::Open)
    );
    assert_eq!(
        (status.calls, status.errors, status.breaker_opens),
        (3, 2, 1)
    );
}
