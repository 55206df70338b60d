//! Secret canaries in `tracing` output of the cloud stores: with every event of every level
//! captured (a global subscriber, so this binary holds one test), GCP Secret Manager (drongo)
//! and Azure Key Vault (the test vault) loads that succeed, fail and go through token
//! exchanges emit no secret value, token or client secret, while their audit events are there.

use std::time::Duration;

use config_providers::azure::KeyVaultProvider;
use config_providers::gcp::SecretManagerProvider;
use config_runtime::Config as _;
use config_tests::drongo::{Drongo, PROJECT};
use config_tests::fixtures::Db;
use config_tests::keyvault::{CLIENT_ID, CLIENT_SECRET, KeyVault, TENANT};
use config_tests::logs::Captured;

const CANARY: &str = "CANARY-clouds-8a2c";

#[tokio::test]
async fn no_secret_of_the_cloud_stores_reaches_tracing_output() {
    let captured = Captured::everything();

    let Some(mut drongo) = Drongo::start() else {
        return;
    };
    drongo
        .add_version("db", format!(r#"{{"password":"{CANARY}"}}"#).as_bytes())
        .await;
    let gcp = SecretManagerProvider::builder()
        .endpoint(drongo.url())
        .project(PROJECT)
        .access_token(format!("gcp-token-{CANARY}"))
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let vault = KeyVault::start().await;
    vault.set_secret("db", &format!(r#"{{"password":"{CANARY}"}}"#));
    let azure = KeyVaultProvider::builder(vault.url())
        .authority_host(vault.url())
        .client_secret(TENANT, CLIENT_ID, CLIENT_SECRET)
        .build()
        .unwrap();

    for (reference, missing) in [
        ("${gcp-sm:db#password}", "${gcp-sm:nope#password}"),
        ("${azure-kv:db#password}", "${azure-kv:nope#password}"),
    ] {
        let cfg = Db::loader()
            .vars([("V_PASSWORD", reference)])
            .provider(gcp.clone())
            .provider(azure.clone())
            .load_async()
            .await
            .unwrap();
        assert_eq!(cfg.password.expose_secret(), CANARY);
        let err = Db::loader()
            .vars([("V_PASSWORD", missing), ("V_USER", reference)])
            .provider(gcp.clone())
            .provider(azure.clone())
            .load_async()
            .await
            .unwrap_err();
        assert!(!format!("{err} {err:?}").contains(CANARY), "{err}");
    }
    drongo.stop();
    gcp.read("db").await.unwrap_err();

    let log = captured.text();
    assert!(
        log.contains("gcp-sm") && log.contains("azure-kv"),
        "audit events: {log}"
    );
    for secret in [CANARY, CLIENT_SECRET] {
        assert!(!log.contains(secret), "{secret} in {log}");
    }
}
