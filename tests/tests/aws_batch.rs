//! Start-up batches against a real moto server, counting the requests it logs: a load that
//! needs several secrets of one store reads them with `BatchGetSecretValue` (20 ids a call)
//! or `GetParameters` (10 names a call) through the cache, and the per-secret reads that
//! follow are answered from memory. Versions the batch calls cannot ask for are read on
//! their own, and so are missing secrets, with their precise errors. Also measures 50
//! secrets one by one against batched (figures printed with `--nocapture`).

use std::time::Instant;

use config_providers::aws::{SecretsManagerProvider, SsmProvider};
use config_runtime::{Config as _, SecretProvider};
use config_tests::Scratch;
use config_tests::fixtures::Db;
use config_tests::moto::{Moto, put_parameter, put_secret, requests_served};

const CANARY: &str = "canary-batch-3e7d";

#[tokio::test]
async fn a_load_reads_secrets_of_one_store_in_one_batch() {
    let dir = Scratch::new();
    let log = dir.path().join("moto.log");
    let Some(moto) = Moto::start_logged(&log) else {
        return;
    };
    let sm = SecretsManagerProvider::builder(moto.settings())
        .build()
        .await
        .unwrap();
    put_secret(&sm, "prod/db", &format!(r#"{{"password":"pw-{CANARY}"}}"#)).await;
    put_secret(
        &sm,
        "prod/old",
        &format!(r#"{{"password":"old-{CANARY}"}}"#),
    )
    .await;
    let before = requests_served(&log);

    let cfg = Db::loader()
        .vars([
            ("V_PASSWORD", "${aws-sm:prod/db#password}"),
            ("V_PREVIOUS", "${aws-sm:prod/old#password}"),
        ])
        .provider(sm.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), &format!("pw-{CANARY}"));
    assert_eq!(cfg.previous.expose_secret(), &format!("old-{CANARY}"));
    assert_eq!(requests_served(&log) - before, 1, "one BatchGetSecretValue");
    let stats = sm.cache_stats();
    assert_eq!((stats.prefilled, stats.hits), (2, 2), "{stats:?}");

    // A missing secret is left out of the batch's answer and read on its own, so its error
    // is the precise one; a stage is read on its own too.
    put_secret(&sm, "prod/db", &format!(r#"{{"password":"pw2-{CANARY}"}}"#)).await;
    let fresh = SecretsManagerProvider::builder(moto.settings())
        .build()
        .await
        .unwrap();
    let before = requests_served(&log);
    let err = Db::loader()
        .vars([
            ("V_PASSWORD", "${aws-sm:prod/db@AWSPREVIOUS#password}"),
            ("V_PREVIOUS", "${aws-sm:prod/missing#password}"),
            ("V_USER", "${aws-sm:prod/old#password}"),
        ])
        .provider(fresh.clone())
        .load_async()
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("ResourceNotFoundException"), "{text}");
    assert!(text.contains("prod/missing"), "{text}");
    assert!(!text.contains(CANARY), "{text}");
    // One batch (prod/missing, prod/old), then prod/missing and the stage on their own.
    assert_eq!(requests_served(&log) - before, 3);
    assert_eq!(
        fresh
            .get("prod/db@AWSPREVIOUS")
            .await
            .unwrap()
            .select(Some("password"))
            .unwrap(),
        format!("pw-{CANARY}")
    );
}

#[tokio::test]
async fn fifty_secrets_in_three_requests_and_parameters_ten_a_call() {
    let dir = Scratch::new();
    let log = dir.path().join("moto.log");
    let Some(moto) = Moto::start_logged(&log) else {
        return;
    };
    let seeder = SecretsManagerProvider::builder(moto.settings())
        .build()
        .await
        .unwrap();
    let ssm = SsmProvider::builder(moto.settings()).build().await.unwrap();
    let ids: Vec<String> = (0..50).map(|i| format!("app/secret-{i:02}")).collect();
    for (i, id) in ids.iter().enumerate() {
        put_secret(&seeder, id, &format!("value-{i}-{CANARY}")).await;
    }
    let names: Vec<String> = (0..25).map(|i| format!("/app/param-{i:02}")).collect();
    for (i, name) in names.iter().enumerate() {
        put_parameter(&ssm, name, &format!("param-{i}-{CANARY}"), i % 2 == 0).await;
    }

    // One by one: 50 requests.
    let one_by_one = SecretsManagerProvider::builder(moto.settings())
        .build()
        .await
        .unwrap();
    let before = requests_served(&log);
    let started = Instant::now();
    for id in &ids {
        one_by_one.fetch(id).await.unwrap();
    }
    let sequential = started.elapsed();
    assert_eq!(requests_served(&log) - before, 50);

    // Batched, as a load does it: 3 requests (20 + 20 + 10), then memory.
    let batched = SecretsManagerProvider::builder(moto.settings())
        .build()
        .await
        .unwrap();
    let before = requests_served(&log);
    let started = Instant::now();
    batched.prefetch(&ids).await;
    for (i, id) in ids.iter().enumerate() {
        let data = batched.fetch(id).await.unwrap();
        assert_eq!(data.select(None).unwrap(), format!("value-{i}-{CANARY}"));
        assert!(data.version.is_some());
    }
    let in_batches = started.elapsed();
    assert_eq!(requests_served(&log) - before, 3);
    assert_eq!(batched.cache_stats().provider_calls, 0);
    println!(
        "50 Secrets Manager secrets (moto): one by one {sequential:?}, batched {in_batches:?} \
         ({:.1}x)",
        sequential.as_secs_f64() / in_batches.as_secs_f64()
    );

    // Parameters: 25 names in 3 GetParameters calls, SecureStrings decrypted.
    let parameters = SsmProvider::builder(moto.settings()).build().await.unwrap();
    let before = requests_served(&log);
    parameters.prefetch(&names).await;
    for (i, name) in names.iter().enumerate() {
        let data = parameters.fetch(name).await.unwrap();
        assert_eq!(data.select(None).unwrap(), format!("param-{i}-{CANARY}"));
        assert_eq!(data.version.as_deref(), Some("1"));
    }
    assert_eq!(requests_served(&log) - before, 3);
    assert!(!format!("{parameters:?} {batched:?}").contains(CANARY));
}
