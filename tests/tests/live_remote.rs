//! Remote change detection: a `Live` config whose secret comes from OpenBao follows a new
//! version written on the server (version polling of KV v2 metadata), and subscribers hear
//! of it; the previous value stays available for the rotation grace period.

use config_providers::vault::VaultProvider;
use config_runtime::live::{Applied, ReloadEvent, WatchOptions};
use config_runtime::{Config, Secret};
use config_tests::events::next;
use config_tests::services::{BAO_ROOT_TOKEN, OpenBaoAdmin, start_openbao};
use serde_json::json;
use std::time::Duration;

#[derive(Config, Debug)]
#[config(prefix = "LR")]
struct Signing {
    /// Signs session tokens.
    key: Secret<String>,
    #[config(default = "svc")]
    name: String,
}

#[tokio::test]
async fn a_new_secret_version_reaches_subscribers() {
    let Some(server) = start_openbao() else {
        return;
    };
    let admin = OpenBaoAdmin::new(&server);
    admin
        .write_secret("signing", json!({"key": "key-v1-canary"}))
        .await;
    let vault = VaultProvider::builder(&server.url)
        .token(BAO_ROOT_TOKEN)
        .build()
        .unwrap();
    let live = Signing::loader()
        .vars([("LR_KEY", "${vault:secret/signing#key}")])
        .provider(vault.clone())
        .watch_with(WatchOptions::default().remote_poll_interval(Duration::from_millis(200)))
        .await
        .unwrap();
    assert_eq!(live.get().key.expose_secret(), "key-v1-canary");
    assert_eq!(live.get().name, "svc");
    let mut events = live.subscribe();

    admin
        .write_secret("signing", json!({"key": "key-v2-canary"}))
        .await;
    let event = next(&mut events).await;
    match &event {
        ReloadEvent::Applied(Applied {
            version,
            changed,
            restart_required,
            ..
        }) => {
            assert_eq!(*version, 2);
            assert_eq!(changed, &vec!["key".to_owned()]);
            assert!(restart_required.is_empty());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        !format!("{event:?} {event}").contains("canary"),
        "events carry no values"
    );
    assert_eq!(live.get().key.expose_secret(), "key-v2-canary");
    let previous = live
        .previous()
        .expect("the old key stays for the grace period");
    assert_eq!(previous.key.expose_secret(), "key-v1-canary");

    // Only the changed secret was fetched again: one read at start, one after the change.
    assert_eq!(vault.cache_stats().provider_calls, 2);
}
