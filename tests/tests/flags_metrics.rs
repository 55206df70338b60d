//! Usage metrics to a real Unleash server: an application with metrics on registers, and the
//! server's own view of a flag's usage (its admin API) shows exactly the evaluations made:
//! on, off, and each variant handed out; a last bucket goes when the flags are dropped. A
//! token the server refuses stops the metrics, as Unleash's Node SDK does: one warning naming
//! the status (never the token), and no more sends.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use config_providers::lkg::LastKnownGood;
use config_providers::unleash::UnleashSource;
use config_runtime::flags::{Context, KillSwitch, LiveFlags, LiveFlagsOptions};
use config_tests::logs::Captured;
use config_tests::unleash::{ApiTokens, CLIENT_TOKEN, Unleash};
use serde_json::{Value, json};

const FLAG: &str = "metered";

/// The yes/no and variant counts the server stored for `app` on the flag.
async fn server_counts(unleash: &Unleash, app: &str) -> (u64, u64, BTreeMap<String, u64>) {
    let raw = unleash
        .admin_get(&format!("client-metrics/features/{FLAG}/raw"))
        .await;
    let (mut yes, mut no, mut variants) = (0, 0, BTreeMap::new());
    for row in raw["data"].as_array().into_iter().flatten() {
        if row["appName"] != app {
            continue;
        }
        yes += row["yes"].as_u64().unwrap_or(0);
        no += row["no"].as_u64().unwrap_or(0);
        for (name, n) in row["variants"].as_object().into_iter().flatten() {
            *variants.entry(name.clone()).or_default() += n.as_u64().unwrap_or(0);
        }
    }
    (yes, no, variants)
}

/// Polls until the server shows `expected` for `app` (it stores metrics every few seconds).
async fn wait_for_counts(
    unleash: &Unleash,
    app: &str,
    expected: (u64, u64, BTreeMap<String, u64>),
) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let seen = server_counts(unleash, app).await;
        if seen == expected {
            return;
        }
        assert!(
            Instant::now() < deadline && seen.0 <= expected.0 && seen.1 <= expected.1,
            "{app}: the server shows {seen:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_metrics_reach_a_real_unleash_server() {
    let Some(unleash) = tokio::task::spawn_blocking(Unleash::start).await.unwrap() else {
        return;
    };
    unleash
        .admin(
            "projects/default/features",
            json!({"name": FLAG, "type": "release"}),
        )
        .await;
    let users: Vec<String> = (1..=12).map(|i| format!("user-{i}")).collect();
    unleash
        .admin(
            &format!("projects/default/features/{FLAG}/environments/development/strategies"),
            json!({"name": "flexibleRollout",
                   "parameters": {"rollout": "100", "stickiness": "default", "groupId": FLAG},
                   "constraints": [{"contextName": "userId", "operator": "IN", "values": users}],
                   "variants": [
                       {"name": "blue", "weight": 500, "weightType": "variable", "stickiness": "default"},
                       {"name": "green", "weight": 500, "weightType": "variable", "stickiness": "default"}]}),
        )
        .await;
    unleash
        .admin(
            &format!("projects/default/features/{FLAG}/environments/development/on"),
            Value::Null,
        )
        .await;

    let options = LiveFlagsOptions::default()
        .poll_interval(Duration::from_millis(500))
        .kill_switch(KillSwitch::new());
    let source = UnleashSource::new(&unleash.api, CLIENT_TOKEN, "metrics-app")
        .unwrap()
        .instance_id("metrics-1")
        .metrics(Duration::from_millis(500));
    let flags = LiveFlags::start(source, options.clone()).await.unwrap();

    // 7 evaluations on, 4 off; 12 variant calls on (blue or green by user), 3 off (disabled).
    let member = Context::new().user_id("user-3");
    let stranger = Context::new().user_id("someone-else");
    for _ in 0..7 {
        assert!(flags.is_enabled(FLAG, &member));
    }
    for _ in 0..4 {
        assert!(!flags.is_enabled(FLAG, &stranger));
    }
    let mut picked = BTreeMap::<String, u64>::new();
    let doc = flags.load();
    for user in &users {
        let variant = doc.variant(FLAG, &Context::new().user_id(user.as_str()));
        assert!(variant.feature_enabled);
        *picked.entry(variant.name.to_owned()).or_default() += 1;
    }
    for _ in 0..3 {
        assert_eq!(doc.variant(FLAG, &stranger).name, "disabled");
    }
    drop(doc);
    assert!(
        picked.keys().all(|v| v == "blue" || v == "green"),
        "{picked:?}"
    );
    picked.insert("disabled".into(), 3);
    // A flag the server does not know is counted too, and does not spoil the bucket.
    assert!(!flags.is_enabled("not-on-the-server", &member));

    wait_for_counts(&unleash, "metrics-app", (7 + 12, 4 + 3, picked)).await;

    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let apps = unleash.admin_get("metrics/applications").await;
        let registered = apps["applications"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["appName"] == "metrics-app");
        if registered {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "metrics-app never appeared among the applications: {apps}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    drop(flags);

    // With an interval far longer than the test, counts reach the server only by the last
    // bucket sent when the flags are dropped.
    let source = UnleashSource::new(&unleash.api, CLIENT_TOKEN, "metrics-on-drop")
        .unwrap()
        .instance_id("metrics-2")
        .metrics(Duration::from_secs(3600));
    let flags = LiveFlags::start(source, options).await.unwrap();
    for _ in 0..5 {
        assert!(flags.is_enabled(FLAG, &member));
    }
    assert!(!flags.is_enabled(FLAG, &stranger));
    drop(flags);
    wait_for_counts(&unleash, "metrics-on-drop", (5, 1, BTreeMap::new())).await;
}

/// Every log line of this test binary (one global subscriber for all its tests).
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(Captured::everything)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_stops_the_metrics_with_one_warning() {
    let logs = logs();
    let Some(mut unleash) = tokio::task::spawn_blocking(Unleash::start).await.unwrap() else {
        return;
    };
    unleash
        .admin(
            "projects/default/features",
            json!({"name": FLAG, "type": "release"}),
        )
        .await;
    unleash
        .admin(
            &format!("projects/default/features/{FLAG}/environments/development/strategies"),
            json!({"name": "default"}),
        )
        .await;
    unleash
        .admin(
            &format!("projects/default/features/{FLAG}/environments/development/on"),
            Value::Null,
        )
        .await;
    // A token the server will refuse once it checks tokens: never in a log line.
    let token = "*:development.refused-canary-9c41e7";
    let dir = tempfile::tempdir().unwrap();
    let store = || LastKnownGood::new(dir.path().join("flags.lkg"), [3; 32]);
    let api = unleash.api.clone();
    let source = || {
        UnleashSource::new(&api, token, "metrics-refused")
            .unwrap()
            .instance_id("refused-1")
            .last_known_good(store())
    };
    let options = LiveFlagsOptions::default()
        .poll_interval(Duration::from_secs(3600))
        .kill_switch(KillSwitch::new());
    // While any token is served, the document is fetched and saved.
    drop(LiveFlags::start(source(), options.clone()).await.unwrap());

    // The server now checks tokens: the application starts from the saved document, and
    // every metrics request is refused with 401.
    let restart = tokio::task::spawn_blocking(move || {
        unleash.restart(ApiTokens::Checked);
        unleash
    });
    let unleash = restart.await.unwrap();
    let interval = Duration::from_millis(300);
    let flags = LiveFlags::start(source().metrics(interval), options)
        .await
        .unwrap();
    let ctx = Context::new().user_id("42");
    assert!(flags.is_enabled(FLAG, &ctx));

    // What the sending task logged (the refused registration is logged on its own line,
    // and metrics go on after it, as the Node SDK does).
    let about_metrics = || {
        logs.text()
            .lines()
            .filter(|line| line.contains("/client/metrics") && !line.contains("registration"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !about_metrics().iter().any(|line| line.contains("stopped")) {
        assert!(
            Instant::now() < deadline,
            "no warning that the metrics stopped: {:?}",
            about_metrics()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Many intervals later: still that one warning, nothing tried again, nothing counted.
    for _ in 0..5 {
        assert!(flags.is_enabled(FLAG, &ctx));
        tokio::time::sleep(interval * 2).await;
    }
    let lines = about_metrics();
    assert_eq!(lines.len(), 1, "one warning and no retries: {lines:?}");
    assert!(lines[0].contains("WARN"), "{}", lines[0]);
    assert!(
        lines[0].contains("401"),
        "the status is named: {}",
        lines[0]
    );
    assert!(flags.metrics().unwrap().is_stopped());
    assert!(
        flags.metrics().unwrap().take().is_empty(),
        "nothing is kept for a send that will never come"
    );
    // Evaluation goes on from the saved document.
    assert!(flags.is_enabled(FLAG, &ctx));
    drop(flags);
    drop(unleash);
    assert!(
        !logs.text().contains("refused-canary"),
        "a log line holds the token"
    );
}
