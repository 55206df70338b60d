//! Flags from a real Unleash server: a flag created through its admin API follows a strategy
//! change and a toggle within a poll interval or two; with the server stopped, evaluation
//! goes on with the last document, and a restart begins with the last-known-good store.

use std::time::Duration;

use config_providers::lkg::LastKnownGood;
use config_providers::unleash::UnleashSource;
use config_runtime::flags::{
    Context, Fetched, FlagSource, KillSwitch, LiveFlags, LiveFlagsOptions,
};
use config_tests::events::eventually;
use config_tests::unleash::{CLIENT_TOKEN, Unleash};
use serde_json::{Value, json};

const FLAG: &str = "projects/default/features/new-checkout";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_follow_a_real_unleash_server_and_outlive_it() {
    let Some(mut unleash) = tokio::task::spawn_blocking(Unleash::start).await.unwrap() else {
        return;
    };
    unleash
        .admin(
            "projects/default/features",
            json!({"name": "new-checkout", "type": "release"}),
        )
        .await;
    unleash
        .admin(
            &format!("{FLAG}/environments/development/strategies"),
            json!({"name": "flexibleRollout",
                   "parameters": {"rollout": "0", "stickiness": "default", "groupId": "new-checkout"}}),
        )
        .await;
    unleash
        .admin(&format!("{FLAG}/environments/development/on"), Value::Null)
        .await;

    // The ETag: a second fetch of an unchanged document is a 304.
    let mut probe = UnleashSource::new(&unleash.api, CLIENT_TOKEN, "flag-tests").unwrap();
    assert!(matches!(probe.fetch().await, Ok(Fetched::Changed(_))));
    assert!(matches!(probe.fetch().await, Ok(Fetched::Unchanged)));

    let dir = tempfile::tempdir().unwrap();
    let store = || LastKnownGood::new(dir.path().join("flags.lkg"), [7; 32]);
    let source = UnleashSource::new(&unleash.api, CLIENT_TOKEN, "flag-tests")
        .unwrap()
        .instance_id("test-1")
        .last_known_good(store());
    let options = LiveFlagsOptions::default()
        .poll_interval(Duration::from_millis(300))
        .max_backoff(Duration::from_secs(1))
        .kill_switch(KillSwitch::new());
    let flags = LiveFlags::start(source, options.clone()).await.unwrap();
    let user = Context::new().user_id("42");
    assert!(flags.load().contains("new-checkout"));
    assert!(!flags.is_enabled("new-checkout", &user), "a 0 % rollout");

    unleash
        .admin(
            &format!("{FLAG}/environments/development/strategies"),
            json!({"name": "flexibleRollout",
                   "parameters": {"rollout": "100", "stickiness": "default", "groupId": "new-checkout"},
                   "constraints": [{"contextName": "userId", "operator": "IN", "values": ["42"]}]}),
        )
        .await;
    eventually("the new strategy", || {
        flags.is_enabled("new-checkout", &user)
    })
    .await;
    assert!(!flags.is_enabled("new-checkout", &Context::new().user_id("7")));

    unleash
        .admin(&format!("{FLAG}/environments/development/off"), Value::Null)
        .await;
    eventually("the toggle off", || {
        !flags.is_enabled("new-checkout", &user)
    })
    .await;
    unleash
        .admin(&format!("{FLAG}/environments/development/on"), Value::Null)
        .await;
    eventually("the toggle on", || flags.is_enabled("new-checkout", &user)).await;

    unleash.server.stop();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        flags.is_enabled("new-checkout", &user),
        "the last good document stays"
    );
    drop(flags);

    // A restart while the server is down begins with the last-known-good document.
    let source = UnleashSource::new(&unleash.api, CLIENT_TOKEN, "flag-tests")
        .unwrap()
        .last_known_good(store());
    let restarted = LiveFlags::start(source, options.clone()).await.unwrap();
    assert!(restarted.is_enabled("new-checkout", &user));
    let without_store = UnleashSource::new(&unleash.api, CLIENT_TOKEN, "flag-tests").unwrap();
    let err = LiveFlags::start(without_store, options)
        .await
        .err()
        .expect("no server, no store");
    assert!(err.to_string().contains("unreachable"), "{err}");
}
