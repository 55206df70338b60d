//! Secrets Manager across regions, against two real moto servers standing for two regions:
//! the primary is killed during a run of loads and the reads go on from the replica without
//! an error; it comes back and the reads return to it. Audit records name the region that
//! answered.

use std::time::Duration;

use config_providers::audit::JsonLinesAudit;
use config_providers::aws::SecretsManagerProvider;
use config_providers::cache::CachePolicy;
use config_providers::safeguards::Safeguards;
use config_runtime::Config as _;
use config_tests::Scratch;
use config_tests::fixtures::Db;
use config_tests::moto::{Moto, REGION, put_secret};

const CANARY: &str = "canary-regions-90c1";
const REPLICA: &str = "us-west-2";

/// Seeds `prod/db` in the region `moto` stands for.
async fn seed(moto: &Moto, region: &str) {
    let seeder = SecretsManagerProvider::builder(moto.settings_in(region))
        .build()
        .await
        .unwrap();
    put_secret(
        &seeder,
        "prod/db",
        &format!(r#"{{"password":"pw-{CANARY}"}}"#),
    )
    .await;
}

async fn load(sm: &SecretsManagerProvider) -> Db {
    Db::loader()
        .vars([("V_PASSWORD", "${aws-sm:prod/db#password}")])
        .provider(sm.clone())
        .load_async()
        .await
        .unwrap()
}

#[tokio::test]
async fn reads_fail_over_to_the_replica_and_return_to_the_primary() {
    let (Some(mut primary), Some(replica)) = (Moto::start(), Moto::start()) else {
        return;
    };
    seed(&primary, REGION).await;
    seed(&replica, REPLICA).await;
    let dir = Scratch::new();
    let audit_file = dir.path().join("audit.jsonl");
    // No caching: every load asks the store, so the store's failover is what answers.
    let no_cache = CachePolicy {
        ttl: Duration::ZERO,
        refresh_ahead: 0.0,
        ..CachePolicy::default()
    };
    let sm = SecretsManagerProvider::builder(primary.settings())
        .replica(
            config_providers::aws::AwsSettings::new()
                .endpoint(replica.url())
                .region(REPLICA),
        )
        .region_cooldown(Duration::from_secs(1))
        .safeguards(
            Safeguards::default()
                .cache(no_cache)
                .audit(JsonLinesAudit::open(&audit_file).unwrap()),
        )
        .build()
        .await
        .unwrap();
    let answered = |sm: SecretsManagerProvider| async move {
        sm.read("prod/db").await.unwrap().answered_by.unwrap()
    };

    for _ in 0..3 {
        assert_eq!(
            load(&sm).await.password.expose_secret(),
            &format!("pw-{CANARY}")
        );
    }
    assert_eq!(answered(sm.clone()).await, REGION);

    primary.stop();
    for _ in 0..10 {
        assert_eq!(
            load(&sm).await.password.expose_secret(),
            &format!("pw-{CANARY}")
        );
    }
    assert_eq!(answered(sm.clone()).await, REPLICA);

    primary.restart();
    seed(&primary, REGION).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for _ in 0..3 {
        load(&sm).await;
    }
    assert_eq!(answered(sm.clone()).await, REGION);

    let stats = sm.cache_stats();
    assert_eq!(stats.stale_served, 0, "{stats:?}");
    let audit = std::fs::read_to_string(&audit_file).unwrap();
    assert!(audit.contains(r#""answered_by":"us-east-1""#), "{audit}");
    assert!(audit.contains(r#""answered_by":"us-west-2""#), "{audit}");
    assert!(!audit.contains(r#""outcome":"failed""#), "{audit}");
    assert!(!audit.contains(CANARY), "{audit}");
    assert!(format!("{sm:?}").contains(REPLICA), "{sm:?}");
}

#[tokio::test]
async fn a_missing_secret_is_not_asked_of_the_replica() {
    let (Some(primary), Some(replica)) = (Moto::start(), Moto::start()) else {
        return;
    };
    // Only the replica holds it: a final answer of the primary is the answer.
    seed(&replica, REPLICA).await;
    let sm = SecretsManagerProvider::builder(primary.settings())
        .replica(
            config_providers::aws::AwsSettings::new()
                .endpoint(replica.url())
                .region(REPLICA),
        )
        .build()
        .await
        .unwrap();
    let error = sm.read("prod/db").await.unwrap_err();
    assert_eq!(
        error.kind,
        config_runtime::ProviderErrorKind::NotFound,
        "{error}"
    );
}
