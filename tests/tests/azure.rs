//! `${azure-kv:..}` against the Key Vault of `config_tests::keyvault` (written from
//! Microsoft's REST reference; no emulator installs here): the bearer challenge answered with
//! client-secret, workload-identity and managed-identity tokens, plain and JSON values,
//! versions, expired and revoked tokens, 403 and 404, values refused in plain fields, a new
//! version reaching `Live` subscribers, and canaries in errors, explain and audit (tracing:
//! `canary_tracing_clouds.rs`).

use std::time::Duration;

use config_providers::azure::KeyVaultProvider;
use config_providers::safeguards::Safeguards;
use config_runtime::live::{Applied, ReloadEvent, WatchOptions};
use config_runtime::{Config, ErrorKind, ProviderErrorKind, Secret};
use config_tests::Scratch;
use config_tests::events::next;
use config_tests::fixtures::Db;
use config_tests::keyvault::{Access, CLIENT_ID, CLIENT_SECRET, FEDERATED_TOKEN, KeyVault, TENANT};

const CANARY: &str = "canary-azure-d15f";

fn client_secret(vault: &KeyVault) -> KeyVaultProvider {
    KeyVaultProvider::builder(vault.url())
        .authority_host(vault.url())
        .client_secret(TENANT, CLIENT_ID, CLIENT_SECRET)
        .build()
        .unwrap()
}

#[tokio::test]
async fn client_secret_answers_the_challenge_and_reads_values_and_versions() {
    let vault = KeyVault::start().await;
    let dir = Scratch::new();
    let audit_file = dir.path().join("audit.jsonl");
    let kv = KeyVaultProvider::builder(vault.url())
        .authority_host(vault.url())
        .client_secret(TENANT, CLIENT_ID, CLIENT_SECRET)
        .safeguards(
            Safeguards::default()
                .audit(config_providers::audit::JsonLinesAudit::open(&audit_file).unwrap()),
        )
        .build()
        .unwrap();
    let first = vault.set_secret("db", &format!(r#"{{"password":"pw-one-{CANARY}"}}"#));
    let second = vault.set_secret("db", &format!(r#"{{"password":"pw-two-{CANARY}"}}"#));
    vault.set_secret("plain", &format!("text-{CANARY}"));

    let cfg = Db::loader()
        .vars([
            ("V_PASSWORD", "${azure-kv:db#password}".to_owned()),
            ("V_PREVIOUS", format!("${{azure-kv:db@{first}#password}}")),
        ])
        .provider(kv.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), &format!("pw-two-{CANARY}"));
    assert_eq!(cfg.previous.expose_secret(), &format!("pw-one-{CANARY}"));
    // One token, asked for the scope the challenge named, shared by both reads.
    assert_eq!((vault.issued(), kv.tokens_fetched()), (1, 1));

    let data = kv.read("plain").await.unwrap();
    assert_eq!(data.select(None).unwrap(), format!("text-{CANARY}"));
    assert_eq!(
        kv.version_of("db").await.unwrap().as_deref(),
        Some(second.as_str())
    );

    let explain = Db::loader()
        .vars([("V_PASSWORD", "${azure-kv:db#password}")])
        .provider(kv.clone())
        .explain_async()
        .await
        .unwrap();
    assert_eq!(
        explain.row("password").unwrap().source(),
        "environment via ${azure-kv:db#password}"
    );
    let shown = format!("{explain} {explain:?} {kv:?}");
    assert!(
        !shown.contains(CANARY) && !shown.contains(CLIENT_SECRET),
        "{shown}"
    );
    let audit = std::fs::read_to_string(&audit_file).unwrap();
    assert!(
        audit.contains("azure-kv") && audit.contains(r#""outcome":"resolved""#),
        "{audit}"
    );
    assert!(!audit.contains(CANARY), "{audit}");
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_replaced() {
    let vault = KeyVault::start().await;
    vault.set_secret("db", &format!("pw-{CANARY}"));
    // Tokens living 2 s are used for 1 s, then replaced before they expire.
    vault.set_token_lifetime(Duration::from_secs(2));
    let kv = client_secret(&vault);
    kv.read("db").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    kv.read("db").await.unwrap();
    assert_eq!(kv.tokens_fetched(), 2);

    // Revoked on the vault's side: the 401 challenge brings a new token, no error.
    vault.set_token_lifetime(Duration::from_secs(3600));
    vault.revoke_tokens();
    assert_eq!(
        kv.read("db").await.unwrap().select(None).unwrap(),
        format!("pw-{CANARY}")
    );
    assert_eq!(kv.tokens_fetched(), 3);

    // A static token that expired cannot be replaced: denied, saying why.
    vault.accept_token("old-static-token", Duration::ZERO, Access::Reader);
    let stale = KeyVaultProvider::builder(vault.url())
        .access_token("old-static-token")
        .build()
        .unwrap();
    let error = stale.get("db").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Denied, "{error}");
    assert!(error.message.contains("HTTP 401 Unauthorized"), "{error}");

    // A wrong client secret is refused at the token endpoint.
    let wrong = KeyVaultProvider::builder(vault.url())
        .authority_host(vault.url())
        .client_secret(TENANT, CLIENT_ID, format!("wrong-{CANARY}"))
        .build()
        .unwrap();
    let error = wrong.get("db").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Denied, "{error}");
    assert!(error.message.contains("oauth2/v2.0/token"), "{error}");
    assert!(!format!("{error} {error:?} {wrong:?}").contains(CANARY));
}

#[tokio::test]
async fn forbidden_and_missing_secrets() {
    let vault = KeyVault::start().await;
    vault.set_secret("db", &format!("pw-{CANARY}"));
    vault.accept_token("no-rights", Duration::from_secs(600), Access::NoSecrets);
    let denied = KeyVaultProvider::builder(vault.url())
        .access_token("no-rights")
        .build()
        .unwrap();
    let error = denied.get("db").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Denied, "{error}");
    assert!(
        error.message.contains("HTTP 403 Forbidden/AccessDenied"),
        "{error}"
    );

    let kv = client_secret(&vault);
    for missing in ["nope", "db@00000000000000000000000000000099"] {
        let error = kv.get(missing).await.unwrap_err();
        assert_eq!(error.kind, ProviderErrorKind::NotFound, "{error}");
        assert!(error.message.contains("SecretNotFound"), "{error}");
        assert!(error.message.contains(&format!("`{missing}`")), "{error}");
    }
    let error = kv.get("bad/name").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Invalid, "{error}");

    let err = Db::loader()
        .vars([("V_PASSWORD", "x"), ("V_USER", "${azure-kv:db}")])
        .provider(kv)
        .load_async()
        .await
        .unwrap_err();
    assert!(
        err.errors()
            .iter()
            .any(|e| matches!(e.kind(), ErrorKind::SecretInPlainField { .. })),
        "{err}"
    );
    assert!(!format!("{err} {err:?}").contains(CANARY));
}

#[tokio::test]
async fn workload_and_managed_identity() {
    let vault = KeyVault::start().await;
    vault.set_secret("db", &format!("pw-{CANARY}"));
    let dir = Scratch::new();
    let token_file = dir.path().join("azure-identity-token");
    std::fs::write(&token_file, FEDERATED_TOKEN).unwrap();
    let workload = KeyVaultProvider::builder(vault.url())
        .authority_host(vault.url())
        .workload_identity(TENANT, CLIENT_ID, &token_file)
        .build()
        .unwrap();
    assert_eq!(
        workload.read("db").await.unwrap().select(None).unwrap(),
        format!("pw-{CANARY}")
    );

    let managed = KeyVaultProvider::builder(vault.url())
        .managed_identity(vault.imds_endpoint())
        .build()
        .unwrap();
    assert_eq!(
        managed.read("db").await.unwrap().select(None).unwrap(),
        format!("pw-{CANARY}")
    );
    assert_eq!(vault.issued(), 2);
}

#[derive(Config, Debug)]
#[config(prefix = "AL")]
struct Signing {
    key: Secret<String>,
}

#[tokio::test]
async fn a_new_version_reaches_live_subscribers() {
    let vault = KeyVault::start().await;
    vault.set_secret("signing", &format!("key-v1-{CANARY}"));
    let kv = client_secret(&vault);
    let live = Signing::loader()
        .vars([("AL_KEY", "${azure-kv:signing}")])
        .provider(kv.clone())
        .watch_with(WatchOptions::default().remote_poll_interval(Duration::from_millis(200)))
        .await
        .unwrap();
    assert_eq!(live.get().key.expose_secret(), &format!("key-v1-{CANARY}"));
    let mut events = live.subscribe();
    vault.set_secret("signing", &format!("key-v2-{CANARY}"));
    let event = next(&mut events).await;
    assert!(
        matches!(&event, ReloadEvent::Applied(Applied { changed, .. }) if changed == &vec!["key".to_owned()]),
        "{event:?}"
    );
    assert!(!format!("{event:?} {event}").contains(CANARY));
    assert_eq!(live.get().key.expose_secret(), &format!("key-v2-{CANARY}"));
}
