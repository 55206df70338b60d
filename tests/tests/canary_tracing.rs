//! Secret canaries in `tracing` output: with every event of every level captured, a Vault
//! load that succeeds, one that fails, a fallback to the last-known-good store, a rejected
//! local config and the audit trail emit no secret value — while the audit events are there.

use config_providers::lkg::LastKnownGood;
use config_providers::vault::VaultProvider;
use config_runtime::{Config, Secret};
use config_tests::logs::Captured;
use config_tests::services::{BAO_ROOT_TOKEN, OpenBaoAdmin, start_openbao};
use config_tests::{AppConfig, Scratch};
use serde_json::json;

const CANARY: &str = "CANARY-tracing-5d1e0c";

#[derive(Config, Debug)]
#[config(prefix = "TC")]
struct Tokens {
    token: Secret<String>,
    #[config(validate(min_len = 64))]
    long: Option<Secret<String>>,
}

#[tokio::test]
async fn no_secret_reaches_tracing_output() {
    let captured = Captured::everything();

    // A local config rejected with its secrets in play: a key too short, an unknown variable.
    let rejected = AppConfig::from_map([("APP_STRIPE_KEY", CANARY), ("APP_OLD", CANARY)])
        .expect_err("a 22-character key and no database URL are rejected");
    let paths: Vec<&str> = rejected.errors().iter().map(|e| e.path()).collect();
    assert!(paths.contains(&"stripe_key"), "{rejected}");
    assert!(!rejected.to_string().contains(CANARY), "{rejected}");

    let Some(mut server) = start_openbao() else {
        return;
    };
    OpenBaoAdmin::new(&server)
        .write_secret("app", json!({"token": CANARY}))
        .await;
    let dir = Scratch::new();
    let lkg = || LastKnownGood::new(dir.path().join("lkg.bin"), [9; 32]);
    let vars = [
        ("TC_TOKEN", "${vault:secret/app#token}"),
        ("TC_LONG", "${vault:secret/app#token}"),
    ];

    let vault = VaultProvider::builder(&server.url)
        .token(BAO_ROOT_TOKEN)
        .safeguards(config_providers::safeguards::Safeguards::default().last_known_good(lkg()))
        .build()
        .unwrap();
    let failed = Tokens::loader()
        .vars(vars)
        .provider(vault.clone())
        .load_async()
        .await;
    assert!(failed.is_err(), "`long` fails min_len: a failing secret");
    let ok = Tokens::loader()
        .vars([vars[0]])
        .provider(vault)
        .load_async()
        .await
        .unwrap();
    assert_eq!(ok.token.expose_secret(), CANARY);
    assert!(ok.long.is_none());

    let wrong = VaultProvider::builder(&server.url)
        .token("s.wrong")
        .build()
        .unwrap();
    let refused = Tokens::loader()
        .vars([vars[0]])
        .provider(wrong)
        .load_async()
        .await
        .expect_err("a wrong token is refused");
    assert_eq!(refused.errors()[0].path(), "token", "{refused}");
    assert!(!refused.to_string().contains(CANARY), "{refused}");

    let url = server.url.clone();
    server.stop();
    let offline = VaultProvider::builder(&url)
        .token(BAO_ROOT_TOKEN)
        .safeguards(config_providers::safeguards::Safeguards::default().last_known_good(lkg()))
        .build()
        .unwrap();
    let fallback = Tokens::loader()
        .vars([vars[0]])
        .provider(offline)
        .load_async()
        .await
        .unwrap();
    assert_eq!(fallback.token.expose_secret(), CANARY);

    let text = captured.text();
    assert!(
        text.contains("config_runtime::audit"),
        "audit events are emitted:\n{text}"
    );
    assert!(
        text.contains("outcome=fallback"),
        "the fallback is audited:\n{text}"
    );
    assert!(
        text.contains("outcome=failed"),
        "the refused read is audited:\n{text}"
    );
    assert!(
        text.contains("last-known-good"),
        "the fallback is logged:\n{text}"
    );
    assert!(
        !text.contains(CANARY),
        "a secret reached tracing output:\n{text}"
    );
}
