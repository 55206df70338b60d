//! etcd as a configuration source against real etcd: keys under a prefix become config keys,
//! `${etcd:/key}` references resolve, and watches deliver every change — also from a
//! 3-member cluster that loses a member during the test, and across a compaction of the
//! history a watch needed.

use config_providers::etcd::{EtcdEvent, EtcdSource};
use config_runtime::{Config, Secret};
use config_tests::RedisConfig;
use config_tests::etcd::{EtcdCluster, next_change, next_event};
use config_tests::logs::Captured;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[derive(Config, Debug)]
#[config(prefix = "E")]
struct Service {
    #[config(default = 1)]
    workers: u16,
    #[config(nested)]
    redis: RedisConfig,
    #[config(default = "")]
    token: Secret<String>,
}

#[tokio::test]
async fn keys_under_a_prefix_configure_and_references_resolve() {
    let Some(cluster) = EtcdCluster::start(1) else {
        return;
    };
    cluster.put("/svc/workers", "8");
    cluster.put("/svc/redis/host", "cache.internal");
    cluster.put("/other/workers", "99");
    cluster.put("/secrets/token", "etcd-token-canary");
    let source = EtcdSource::builder(cluster.endpoints.clone(), "/svc/")
        .build()
        .unwrap();
    let snapshot = source.snapshot().await.unwrap();
    assert_eq!(
        snapshot.entries,
        vec![
            ("redis.host".to_owned(), "cache.internal".to_owned()),
            ("workers".to_owned(), "8".to_owned())
        ]
    );
    let mut loader = Service::loader().vars([("E_TOKEN", "${etcd:/secrets/token}")]);
    for (key, value) in &snapshot.entries {
        loader = loader.set(key, value);
    }
    let cfg = loader.provider(source.clone()).load_async().await.unwrap();
    assert_eq!(
        (cfg.workers, cfg.redis.host.as_str()),
        (8, "cache.internal")
    );
    assert_eq!(cfg.token.expose_secret(), "etcd-token-canary");
    assert!(!format!("{cfg:?} {source:?}").contains("etcd-token-canary"));

    let err = Service::loader()
        .vars([("E_TOKEN", "${etcd:/secrets/missing}")])
        .provider(source)
        .load_async()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("etcd has no key `/secrets/missing`"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_keeps_receiving_changes_when_a_member_dies() {
    let Some(mut cluster) = EtcdCluster::start(3) else {
        return;
    };
    cluster.put("/fleet/workers", "1");
    // Two application instances, each with its own client; the first prefers member 0.
    let first = EtcdSource::builder(cluster.endpoints.clone(), "/fleet/")
        .build()
        .unwrap();
    let mut rotated = cluster.endpoints.clone();
    rotated.rotate_left(1);
    let second = EtcdSource::builder(rotated, "/fleet/").build().unwrap();
    let start = first.snapshot().await.unwrap();
    assert_eq!(start.entries, vec![("workers".to_owned(), "1".to_owned())]);
    let mut a = first.watch(start.revision);
    let mut b = second.watch(start.revision);

    cluster.put("/fleet/workers", "2");
    for changes in [&mut a, &mut b] {
        let change = next_change(changes).await;
        assert_eq!(
            (change.key.as_str(), change.value.as_deref()),
            ("workers", Some("2"))
        );
    }

    // The member the first instance is connected to dies; writes go on through the others.
    cluster.kill(0);
    cluster.put("/fleet/workers", "3");
    cluster.put("/fleet/redis/host", "h2");
    cluster.put("/fleet/workers", "4");
    for changes in [&mut a, &mut b] {
        let got = [
            next_change(changes).await,
            next_change(changes).await,
            next_change(changes).await,
        ];
        let values: Vec<(&str, Option<&str>)> = got
            .iter()
            .map(|c| (c.key.as_str(), c.value.as_deref()))
            .collect();
        assert_eq!(
            values,
            vec![
                ("workers", Some("3")),
                ("redis.host", Some("h2")),
                ("workers", Some("4"))
            ]
        );
        assert!(
            got.windows(2).all(|w| w[0].revision < w[1].revision),
            "in order, no repeats"
        );
    }
    // Nothing further was delivered twice.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), a.recv())
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_fleets_converge_on_etcd_changes_without_polling() {
    use config_runtime::live::{Applied, ReloadEvent, WatchOptions};
    let Some(mut cluster) = EtcdCluster::start(3) else {
        return;
    };
    cluster.put("/live/workers", "2");
    cluster.put("/live/redis/host", "cache-a");

    // Two instances of one service, each with its own client preferring another member.
    let mut instances = Vec::new();
    for shift in 0..2 {
        let mut endpoints = cluster.endpoints.clone();
        endpoints.rotate_left(shift);
        let source = EtcdSource::builder(endpoints, "/live/").build().unwrap();
        let explain = Service::loader()
            .source(source.clone())
            .explain_async()
            .await
            .unwrap();
        assert_eq!(
            explain.row("workers").unwrap().source(),
            "etcd /live/ key workers"
        );
        let live = Service::loader()
            .source(source)
            // No polling at all: changes must come from etcd's watch.
            .watch_with(WatchOptions::default().remote_poll_interval(Duration::ZERO))
            .await
            .unwrap();
        assert_eq!(
            (live.get().workers, live.get().redis.host.clone()),
            (2, "cache-a".to_owned())
        );
        let events = live.subscribe();
        instances.push((live, events));
    }

    // A member dies; a change is written through the others; every instance applies it.
    cluster.kill(0);
    cluster.put("/live/workers", "5");
    for (live, events) in &mut instances {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let event = tokio::time::timeout_at(deadline, events.recv())
                .await
                .expect("the change reaches every instance within 20 s")
                .unwrap();
            if let ReloadEvent::Applied(Applied { changed, .. }) = &event
                && changed.iter().any(|path| path == "workers")
            {
                break;
            }
        }
        assert_eq!(live.get().workers, 5);
    }

    // An invalid value is rejected everywhere and the running config is kept.
    cluster.put("/live/workers", "many");
    for (live, events) in &mut instances {
        let event = tokio::time::timeout(Duration::from_secs(20), events.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(event, ReloadEvent::Rejected { .. }), "{event:?}");
        assert_eq!(live.get().workers, 5);
    }
}

/// Every log line of this test binary (one global subscriber for all its tests).
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(Captured::everything)
}

/// Waits up to 20 s for `check` to hold, naming `what` if it never does.
async fn within_20s(what: &str, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} did not happen within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_from_a_compacted_revision_resyncs_then_follows() {
    let Some(cluster) = EtcdCluster::start(1) else {
        return;
    };
    let logs = logs();
    cluster.put("/hist/workers", "1");
    cluster.put("/hist/gone", "soon-deleted-canary");
    let source = EtcdSource::builder(cluster.endpoints.clone(), "/hist/")
        .build()
        .unwrap();
    let old = source.snapshot().await.unwrap().revision;
    for workers in 2..=5 {
        cluster.put("/hist/workers", &workers.to_string());
    }
    cluster.put("/hist/redis/host", "host-canary");
    cluster.delete("/hist/gone");
    let compacted = cluster.compact();
    assert!(compacted > old + 1);

    // The changes after `old` are gone from etcd's history: the watch says so with the keys
    // read anew, then follows from there.
    let mut events = source.watch(old);
    let snapshot = match next_event(&mut events).await {
        EtcdEvent::Resync(snapshot) => snapshot,
        other => panic!("a resync first, got {other:?}"),
    };
    assert_eq!(
        snapshot.entries,
        vec![
            ("redis.host".to_owned(), "host-canary".to_owned()),
            ("workers".to_owned(), "5".to_owned())
        ]
    );
    assert!(snapshot.revision >= compacted, "{snapshot:?}");
    cluster.put("/hist/workers", "6");
    let change = next_change(&mut events).await;
    assert_eq!(
        (change.key.as_str(), change.value.as_deref()),
        ("workers", Some("6"))
    );
    assert!(change.revision > snapshot.revision);
    // Nothing repeated, no second resync.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), events.recv())
            .await
            .is_err()
    );

    // A warning names the member and the revisions, never a value.
    let text = logs.text();
    let warning = text
        .lines()
        .find(|line| line.contains("WARN") && line.contains("is compacted"))
        .unwrap_or_else(|| panic!("no compaction warning in {text}"));
    assert!(warning.contains(&cluster.endpoints[0]), "{warning}");
    assert!(
        warning.contains(&format!("up to revision {compacted}"))
            && warning.contains(&format!("from revision {}", old + 1)),
        "{warning}"
    );
    assert!(!text.contains("canary"), "the log quotes a value: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_config_and_flags_follow_changes_compacted_while_their_watch_was_down() {
    use config_runtime::flags::{Context, KillSwitch, LiveFlags, LiveFlagsOptions};
    use config_runtime::live::WatchOptions;
    let Some(mut cluster) = EtcdCluster::start(3) else {
        return;
    };
    logs();
    let flag_key = "/compact-flags/checkout.json";
    let document =
        |on: bool| format!(r#"{{"features": [{{"name": "checkout", "enabled": {on}}}]}}"#);
    cluster.put("/compact/workers", "2");
    cluster.put(flag_key, &document(false));

    // One client, members in order: every read answers from member 0, so both watches are
    // connected to it.
    let source = EtcdSource::builder(cluster.endpoints.clone(), "/compact/")
        .build()
        .unwrap();
    let live = Service::loader()
        .source(source.clone())
        // No polling: only etcd's watch can deliver a change.
        .watch_with(WatchOptions::default().remote_poll_interval(Duration::ZERO))
        .await
        .unwrap();
    let options = LiveFlagsOptions::default()
        .poll_interval(Duration::from_secs(3600))
        .kill_switch(KillSwitch::new());
    let flags = LiveFlags::start(source.flags(flag_key), options)
        .await
        .unwrap();
    let checkout = || flags.is_enabled("checkout", &Context::new());
    assert_eq!((live.get().workers, checkout()), (2, false));

    // Both watches are up.
    cluster.put("/compact/workers", "3");
    cluster.put(flag_key, &document(true));
    within_20s("the first changes", || {
        live.get().workers == 3 && checkout()
    })
    .await;

    // Member 0 goes silent: the watches on it neither deliver nor end. Changes are written
    // through the others, and etcd compacts them away.
    cluster.pause(0);
    cluster.put("/compact/workers", "4");
    cluster.put(flag_key, &document(false));
    cluster.put("/compact/workers", "5");
    cluster.compact();
    assert_eq!((live.get().workers, checkout()), (3, true));

    // Member 0 dies: the watches resume on another member after the last revision they
    // delivered, which is compacted; the config and the flags are read anew.
    cluster.kill(0);
    within_20s("the compacted changes", || {
        live.get().workers == 5 && !checkout()
    })
    .await;

    // It was the compaction path: each watch warned about it.
    let text = logs().text();
    for watched in ["/compact/*", flag_key] {
        assert!(
            text.lines().any(|line| line.contains("is compacted")
                && line.contains(&format!("watch on {watched}:"))),
            "no compaction warning for {watched} in {text}"
        );
    }

    // And the watches go on.
    cluster.put("/compact/workers", "6");
    cluster.put(flag_key, &document(true));
    within_20s("the changes after the compaction", || {
        live.get().workers == 6 && checkout()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_on_a_member_that_stops_answering_moves_to_another() {
    use config_runtime::live::WatchOptions;
    // Members send progress notifications on quiet watches every 300 ms, so a watch that
    // hears nothing for 2 s is on a member that has stopped answering.
    let flags = ["--experimental-watch-progress-notify-interval", "300ms"];
    let Some(mut cluster) = EtcdCluster::start_with(3, &flags) else {
        return;
    };
    logs();
    cluster.put("/frozen/workers", "2");
    let source = EtcdSource::builder(cluster.endpoints.clone(), "/frozen/")
        .watch_idle_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let live = Service::loader()
        .source(source)
        // No polling: only etcd's watch can deliver a change.
        .watch_with(WatchOptions::default().remote_poll_interval(Duration::ZERO))
        .await
        .unwrap();
    assert_eq!(live.get().workers, 2);
    cluster.put("/frozen/workers", "3");
    within_20s("the first change", || live.get().workers == 3).await;

    // Quiet for longer than the idle timeout: the progress notifications keep the watch.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let moved = |text: &str| text.contains("sent nothing on a watch for 2s");
    assert!(!moved(&logs().text()), "{}", logs().text());

    // Member 0, which the watch is on, stops answering but keeps its connections open.
    cluster.pause(0);
    cluster.put("/frozen/workers", "4");
    within_20s("the change written while member 0 is frozen", || {
        live.get().workers == 4
    })
    .await;
    assert!(moved(&logs().text()), "{}", logs().text());
}
