//! Live flags from one etcd key against real etcd: changes arrive through etcd's watch (the
//! poll interval is an hour), a broken or deleted document keeps the last good one without
//! quoting it, dropping the `LiveFlags` ends the watch, and a start while etcd is down begins
//! with the last-known-good document.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use config_providers::etcd::{EtcdFlags, EtcdSource};
use config_providers::lkg::LastKnownGood;
use config_runtime::Format;
use config_runtime::flags::{Context, FlagSource, KillSwitch, LiveFlags, LiveFlagsOptions};
use config_tests::etcd::EtcdCluster;
use config_tests::logs::Captured;

/// How long a pushed change may take to apply (a watch delivers in milliseconds).
const PUSHED: Duration = Duration::from_secs(5);

/// Polling an hour apart: whatever a test sees within seconds came through the watch.
fn options() -> LiveFlagsOptions {
    LiveFlagsOptions::default()
        .poll_interval(Duration::from_secs(3600))
        .kill_switch(KillSwitch::new())
}

/// `checkout` with one strategy, in YAML.
fn yaml(enabled: bool, strategy: &str) -> String {
    format!(
        "features:\n  - name: checkout\n    enabled: {enabled}\n    strategies:\n      - {strategy}\n"
    )
}

const DEFAULT: &str = "name: default";
const ONLY_USER_7: &str = "{name: userWithId, parameters: {userIds: \"7\"}}";

fn user(id: &str) -> Context {
    Context::new().user_id(id)
}

/// Waits up to `bound` for `check` to hold, naming `what` if it never does.
async fn within(bound: Duration, what: &str, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < bound,
            "{what} did not happen within {bound:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every log line of this test binary (one global subscriber for all its tests).
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(Captured::everything)
}

/// The log lines that mention `key`.
fn lines_about(key: &str) -> Vec<String> {
    logs()
        .text()
        .lines()
        .filter(|line| line.contains(key))
        .map(str::to_owned)
        .collect()
}

fn etcd(cluster: &EtcdCluster) -> EtcdSource {
    EtcdSource::builder(cluster.endpoints.clone(), "/app/")
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toggles_and_strategy_changes_are_pushed_by_the_watch() {
    let Some(cluster) = EtcdCluster::start(1) else {
        return;
    };
    let key = "/flags/checkout.yaml";
    cluster.put(key, &yaml(false, DEFAULT));
    let flags = LiveFlags::start(etcd(&cluster).flags(key), options())
        .await
        .unwrap();
    assert!(!flags.is_enabled("checkout", &user("42")));

    cluster.put(key, &yaml(true, DEFAULT));
    within(PUSHED, "the toggle", || {
        flags.is_enabled("checkout", &user("42"))
    })
    .await;

    cluster.put(key, &yaml(true, ONLY_USER_7));
    within(PUSHED, "the strategy change", || {
        !flags.is_enabled("checkout", &user("42"))
    })
    .await;
    assert!(flags.is_enabled("checkout", &user("7")));

    // A key without an extension, its format named; TOML this time.
    let toml_key = "/flags/checkout";
    let toml = |enabled: bool| {
        format!(
            "[[features]]\nname = \"checkout\"\nenabled = {enabled}\n\
             [[features.strategies]]\nname = \"default\"\n"
        )
    };
    cluster.put(toml_key, &toml(true));
    let source = etcd(&cluster).flags(toml_key).format(Format::Toml);
    let by_toml = LiveFlags::start(source, options()).await.unwrap();
    assert!(by_toml.is_enabled("checkout", &user("42")));
    cluster.put(toml_key, &toml(false));
    within(PUSHED, "the TOML toggle", || {
        !by_toml.is_enabled("checkout", &user("42"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_document_keeps_the_last_good_one_and_is_never_quoted() {
    let Some(cluster) = EtcdCluster::start(1) else {
        return;
    };
    let logs = logs();
    let canary = "tenant-canary-5e1f";
    for (key, good, broken) in [
        (
            "/flags/broken.yaml",
            yaml(true, DEFAULT),
            // A syntax error: YAML's parser quotes the line around it.
            format!("features:\n  - name: checkout\n    enabled: [{canary}\n"),
        ),
        (
            "/flags/broken.json",
            r#"{"features": [{"name": "checkout", "enabled": true}]}"#.to_owned(),
            // A type error: serde_json quotes the string it found.
            format!(r#"{{"features": [{{"name": "checkout", "enabled": "{canary}"}}]}}"#),
        ),
    ] {
        cluster.put(key, &good);
        let flags = LiveFlags::start(etcd(&cluster).flags(key), options())
            .await
            .unwrap();
        assert!(flags.is_enabled("checkout", &user("42")));

        cluster.put(key, &broken);
        within(PUSHED, "the failed fetch's warning", || {
            lines_about(key)
                .iter()
                .any(|line| line.contains("keeping the last good document"))
        })
        .await;
        assert!(
            flags.is_enabled("checkout", &user("42")),
            "the last good document stays"
        );

        // The error itself names the key and the revision, not the text.
        let mut direct: EtcdFlags = etcd(&cluster).flags(key);
        let err = direct.fetch().await.expect_err("a broken document");
        let err = err.to_string();
        assert!(
            err.contains(&format!("etcd key `{key}` at revision")),
            "{err}"
        );
        assert!(err.contains("line "), "the position is kept: {err}");
        assert!(!err.contains(canary), "{err}");

        // Repaired: followed again.
        cluster.put(key, &good.replace("true", "false"));
        within(PUSHED, "the repaired document", || {
            !flags.is_enabled("checkout", &user("42"))
        })
        .await;
    }
    assert!(!logs.text().contains(canary), "the log quotes a document");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_key_keeps_the_last_good_document_until_it_is_back() {
    let Some(cluster) = EtcdCluster::start(1) else {
        return;
    };
    logs();
    let key = "/flags/deleted.yaml";
    cluster.put(key, &yaml(true, DEFAULT));
    let flags = LiveFlags::start(etcd(&cluster).flags(key), options())
        .await
        .unwrap();
    assert!(flags.is_enabled("checkout", &user("42")));

    cluster.delete(key);
    within(PUSHED, "the warning about the missing key", || {
        lines_about(key)
            .iter()
            .any(|line| line.contains(&format!("etcd has no key `{key}`")))
    })
    .await;
    assert!(
        flags.is_enabled("checkout", &user("42")),
        "the last good document stays"
    );

    cluster.put(key, &yaml(true, ONLY_USER_7));
    within(PUSHED, "the key put back", || {
        !flags.is_enabled("checkout", &user("42"))
    })
    .await;
    assert!(flags.is_enabled("checkout", &user("7")));

    // A key that is missing from the start is an error naming it.
    let err = LiveFlags::start(etcd(&cluster).flags("/flags/none.yaml"), options())
        .await
        .err()
        .expect("no document, no flags");
    assert!(
        err.to_string()
            .contains("etcd has no key `/flags/none.yaml`"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_flags_ends_the_watch_within_a_second() {
    let Some(cluster) = EtcdCluster::start(1) else {
        return;
    };
    let key = "/flags/dropped.json";
    let document = |enabled: bool| {
        format!(r#"{{"features": [{{"name": "checkout", "enabled": {enabled}}}]}}"#)
    };
    cluster.put(key, &document(false));
    let runtime = tokio::runtime::Handle::current().metrics();
    let before = runtime.num_alive_tasks();

    let flags = LiveFlags::start(etcd(&cluster).flags(key), options())
        .await
        .unwrap();
    cluster.put(key, &document(true));
    within(PUSHED, "the pushed change", || {
        flags.is_enabled("checkout", &Context::new())
    })
    .await;
    // The follow task and the watch task, at least.
    assert!(
        runtime.num_alive_tasks() >= before + 2,
        "{} task(s) running",
        runtime.num_alive_tasks() - before
    );

    drop(flags);
    let dropped = Instant::now();
    while runtime.num_alive_tasks() > before {
        assert!(
            dropped.elapsed() < Duration::from_secs(1),
            "{} task(s) still alive a second after the flags were dropped",
            runtime.num_alive_tasks() - before
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_while_etcd_is_down_uses_the_last_known_good_document() {
    let Some(mut cluster) = EtcdCluster::start(1) else {
        return;
    };
    let logs = logs();
    let dir = tempfile::tempdir().unwrap();
    let store = || LastKnownGood::new(dir.path().join("flags.lkg"), [9; 32]);
    let key = "/flags/lkg.yaml";
    // A tenant name in a constraint: never in a log line, nor in the store's file.
    let canary = "tenant-canary-lkg-4d2b";
    let only = |users: &str| {
        format!(
            "features:\n  - name: checkout\n    enabled: true\n    strategies:\n      - name: userWithId\n        parameters: {{userIds: \"{users}\"}}\n        constraints:\n          - {{contextName: tenant, operator: NOT_IN, values: [{canary}]}}\n"
        )
    };
    cluster.put(key, &only("1"));
    let flags = LiveFlags::start(
        etcd(&cluster).flags(key).last_known_good(store()),
        options(),
    )
    .await
    .unwrap();
    assert!(flags.is_enabled("checkout", &user("1")));
    // Every document read is saved: the store ends with the latest.
    cluster.put(key, &only("2"));
    within(PUSHED, "the pushed change", || {
        flags.is_enabled("checkout", &user("2"))
    })
    .await;
    drop(flags);
    let saved = std::fs::read(dir.path().join("flags.lkg")).unwrap();
    assert!(
        !String::from_utf8_lossy(&saved).contains(canary),
        "the store is encrypted"
    );

    cluster.kill(0);
    let restarted = LiveFlags::start(
        etcd(&cluster).flags(key).last_known_good(store()),
        options(),
    )
    .await
    .expect("the saved document");
    assert!(
        restarted.is_enabled("checkout", &user("2")),
        "the latest saved"
    );
    assert!(!restarted.is_enabled("checkout", &user("1")));
    let warned = lines_about(key);
    assert!(
        warned
            .iter()
            .any(|line| line.contains("using the last-known-good document")
                && line.contains(&format!("etcd key `{key}`"))
                && line.contains("age")),
        "no warning names the fallback, the failure and the age: {warned:?}"
    );

    // Without a store, or with a store holding another key's document, no start.
    let err = LiveFlags::start(etcd(&cluster).flags(key), options())
        .await
        .err()
        .expect("etcd down, no store");
    assert!(
        err.to_string().contains(&format!("etcd key `{key}`")),
        "{err}"
    );
    let err = LiveFlags::start(
        etcd(&cluster)
            .flags("/flags/other.yaml")
            .last_known_good(store()),
        options(),
    )
    .await
    .err()
    .expect("nothing saved for that key");
    assert!(
        err.to_string().contains("no last-known-good document"),
        "{err}"
    );

    // etcd back: the key is followed again through the watch.
    cluster.restart(0);
    cluster.put(key, &only("3"));
    within(
        Duration::from_secs(20),
        "the document after etcd came back",
        || restarted.is_enabled("checkout", &user("3")),
    )
    .await;
    assert!(!restarted.is_enabled("checkout", &user("2")));
    assert!(!logs.text().contains(canary), "the log quotes a document");
}
