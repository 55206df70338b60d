//! What a reload applies and tells: invalid changes are rejected and the old snapshot kept,
//! `restart` fields are kept and listed, changed paths are exactly the changed keys, versions
//! only grow, explicit reloads and SIGHUP, the rotation grace period, metrics, and no secret
//! in any event or metric.

use std::time::Duration;

use config_runtime::live::{Applied, ReloadEvent, ReloadOutcome, WatchOptions};
use config_runtime::source::{self, GatherContext, Gathering, Source};
use config_runtime::{Config, Origin};
use config_tests::events::{WAIT, applied, next};
use config_tests::files::save;
use config_tests::{AppConfig, STRIPE_KEY, Scratch, required_vars, watch_file};
use tokio::sync::broadcast::error::TryRecvError;

#[tokio::test]
async fn the_first_load_must_succeed() {
    let dir = Scratch::new();
    let path = dir.write("config.toml", "port = 0\n");
    let error = AppConfig::loader()
        .vars(required_vars(&[]))
        .file(&path)
        .watch()
        .await
        .unwrap_err();
    assert_eq!(error.errors()[0].path(), "port");
}

#[tokio::test]
async fn an_invalid_change_is_rejected_and_the_old_snapshot_kept() {
    let dir = Scratch::new();
    let path = dir.write("config.toml", "port = 9000\n");
    let live = watch_file(&path).await;
    let mut events = live.subscribe();
    let before = live.get();

    save(&path, "port = 0\nlog_level = \"loud\"\n");
    match next(&mut events).await {
        ReloadEvent::Rejected { error } => {
            let paths: Vec<&str> = error.errors().iter().map(|e| e.path()).collect();
            assert_eq!(paths, ["port", "log_level"], "{error}");
        }
        other => panic!("expected a rejection, got {other}"),
    }
    assert!(std::sync::Arc::ptr_eq(&before, &live.get()));
    assert_eq!(live.version(), 1);
    let metrics = live.metrics();
    assert_eq!((metrics.applied, metrics.rejected), (0, 1));
    assert!(metrics.last_error.unwrap().contains("port"));

    // A file that is not even TOML.
    save(&path, "port = = 1\n");
    assert!(matches!(
        next(&mut events).await,
        ReloadEvent::Rejected { .. }
    ));
    assert_eq!(live.get().port, 9000);

    save(&path, "port = 9001\n");
    assert_eq!(
        applied(&mut events).await,
        (2, vec!["port".to_owned()], vec![])
    );
    assert_eq!(live.get().port, 9001);
    let metrics = live.metrics();
    assert_eq!((metrics.applied, metrics.rejected), (1, 2));
    assert!(metrics.last_success.is_some());
}

#[tokio::test]
async fn a_restart_field_is_kept_and_listed() {
    let dir = Scratch::new();
    let path = dir.write("config.toml", "port = 9000\nworkers = 4\n");
    let live = watch_file(&path).await;
    let mut events = live.subscribe();

    save(&path, "port = 9001\nworkers = 16\n");
    assert_eq!(
        applied(&mut events).await,
        (2, vec!["port".to_owned()], vec!["workers".to_owned()])
    );
    let cfg = live.get();
    assert_eq!(
        (cfg.port, cfg.workers),
        (9001, 4),
        "workers keeps its old value"
    );
    assert_eq!(live.metrics().restart_blocked, 1);

    // Still pending, but listed only once.
    save(&path, "port = 9002\nworkers = 16\n");
    assert_eq!(
        applied(&mut events).await,
        (3, vec!["port".to_owned()], vec![])
    );
    assert_eq!(live.get().workers, 4);

    // A change of only a restart field.
    save(&path, "port = 9002\nworkers = 32\n");
    assert_eq!(
        applied(&mut events).await,
        (4, vec![], vec!["workers".to_owned()])
    );
    assert_eq!((live.get().port, live.get().workers), (9002, 4));

    // Back to the running value: nothing to tell.
    save(&path, "port = 9003\nworkers = 4\n");
    assert_eq!(
        applied(&mut events).await,
        (5, vec!["port".to_owned()], vec![])
    );

    // An invalid value of a restart field still rejects the reload.
    save(&path, "port = 9003\nworkers = \"many\"\n");
    match next(&mut events).await {
        ReloadEvent::Rejected { error } => assert_eq!(error.errors()[0].path(), "workers"),
        other => panic!("expected a rejection, got {other}"),
    }
    // The change is validated as written, even though `workers` would be kept: 100 workers
    // with debug logging fails the cross-field check, so nothing is applied.
    save(&path, "port = 9004\nworkers = 100\nlog_level = \"debug\"\n");
    match next(&mut events).await {
        ReloadEvent::Rejected { error } => {
            assert!(error.to_string().contains("floods the logs"), "{error}")
        }
        other => panic!("expected a rejection, got {other}"),
    }
    let cfg = live.get();
    assert_eq!(
        (cfg.port, cfg.workers, cfg.log_level.as_str()),
        (9003, 4, "info")
    );
}

#[tokio::test]
async fn a_kept_restart_value_is_explained_from_the_file_it_was_read_from() {
    // The first load reads two files; the reloads read one. A kept value still names the
    // file and line it was read from, not whichever file now has its place in the list.
    let dir = Scratch::new();
    let early = dir.write("early.toml", "log_level = \"warn\"\n");
    let base = dir.write("config.toml", "port = 9000\nworkers = 4\n");
    let live = AppConfig::loader()
        .vars(required_vars(&[]))
        .file_optional(&early)
        .file(&base)
        .watch()
        .await
        .unwrap();
    let mut events = live.subscribe();

    std::fs::remove_file(&early).unwrap();
    assert_eq!(
        applied(&mut events).await,
        (2, vec!["log_level".to_owned()], vec![])
    );
    save(&base, "port = 9000\nworkers = 16\n");
    assert_eq!(
        applied(&mut events).await,
        (3, vec![], vec!["workers".to_owned()])
    );
    assert_eq!(live.get().workers, 4);
    let explain = live.explain();
    let row = explain.row("workers").unwrap();
    assert_eq!(
        row.origin,
        Some(Origin::File {
            path: base.as_path().into(),
            line: Some(2)
        }),
        "{explain}"
    );
    assert_eq!(row.value, "4");
}

#[tokio::test]
async fn changed_paths_are_exactly_the_changed_keys() {
    let dir = Scratch::new();
    let original = "port = 9000\nlog_level = \"info\"\ncors_origins = [\"https://a\"]\n\
                    [redis]\nhost = \"r1\"\nport = 6379\n";
    let path = dir.write("config.toml", original);
    let live = watch_file(&path).await;
    let mut events = live.subscribe();

    // Same values, written differently (a comment, a reordered key, a default made explicit
    // where it already was): no key changed.
    save(
        &path,
        "# comment\nlog_level = \"info\"\nport = 9000\ncors_origins = [\"https://a\"]\n\
         [redis]\nport = 6379\nhost = \"r1\"\n",
    );
    // A reload settles it: whichever of the watcher and this call runs second finds nothing.
    let outcome = live.reload().await.unwrap();
    assert!(
        matches!(outcome, ReloadOutcome::Unchanged { version: 1 }),
        "{outcome}"
    );
    assert!(matches!(events.try_recv(), Err(TryRecvError::Empty)));

    save(
        &path,
        "port = 9000\nlog_level = \"warn\"\ncors_origins = [\"https://a\", \"https://b\"]\n\
         stripe_key = \"sk_test_rotated_0123456789abcdef01234567\"\n\
         [redis]\nhost = \"r2\"\nport = 6379\n",
    );
    let (version, changed, restart) = applied(&mut events).await;
    assert_eq!(version, 2);
    assert_eq!(
        changed,
        ["log_level", "stripe_key", "cors_origins", "redis.host"]
    );
    assert!(restart.is_empty());
    assert_eq!(live.get().cors_origins, ["https://a", "https://b"]);
}

#[tokio::test]
async fn versions_only_grow() {
    let dir = Scratch::new();
    let path = dir.write("config.toml", "port = 1000\n");
    let live = watch_file(&path).await;
    let mut events = live.subscribe();
    let mut last = live.version();
    assert_eq!(last, 1);
    for i in 1..=6u16 {
        let text = if i % 3 == 0 {
            "port = \"not a port\"\n".to_owned()
        } else {
            format!("port = {}\n", 1000 + i)
        };
        save(&path, &text);
        match next(&mut events).await {
            ReloadEvent::Applied(Applied { version, .. }) => {
                assert_eq!(version, last + 1);
                assert_eq!(live.version(), version);
                last = version;
            }
            ReloadEvent::Rejected { .. } => assert_eq!(live.version(), last),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(last, 5);
    assert_eq!(live.get().port, 1005);
}

/// A `${file:..}` reference is not watched: a reload picks its change up.
fn key_file(dir: &Scratch, key: &str) -> String {
    let path = dir.write("keys/stripe", &format!("{key}\n"));
    format!("stripe_key = \"${{file:{}}}\"\n", path.display())
}

#[tokio::test]
async fn explicit_reload_and_the_rotation_grace_period() {
    let dir = Scratch::new();
    let path = dir.write("config.toml", &key_file(&dir, STRIPE_KEY));
    let live = AppConfig::loader()
        .vars(required_vars(&[]))
        .file(&path)
        .watch_with(WatchOptions::default().rotation_grace(Duration::from_millis(200)))
        .await
        .unwrap();
    let mut events = live.subscribe();
    assert!(live.previous().is_none());
    assert!(matches!(
        live.reload().await.unwrap(),
        ReloadOutcome::Unchanged { version: 1 }
    ));

    let rotated = "sk_test_rotated_0123456789abcdef01234567";
    key_file(&dir, rotated);
    let outcome = live.reload().await.unwrap();
    let ReloadOutcome::Applied(Applied {
        version,
        changed,
        restart_required,
        ..
    }) = outcome
    else {
        panic!("expected an applied reload, got {outcome}");
    };
    assert_eq!(version, 2);
    assert_eq!(changed, ["stripe_key"]);
    assert!(restart_required.is_empty(), "{restart_required:?}");
    assert_eq!(applied(&mut events).await.0, 2, "subscribers hear it too");
    assert_eq!(live.get().stripe_key.expose_secret(), rotated);
    let previous = live
        .previous()
        .expect("the old key stays for the grace period");
    assert_eq!(previous.stripe_key.expose_secret(), STRIPE_KEY);

    // After the window it is gone.
    tokio::time::timeout(WAIT, async {
        while live.previous().is_some() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the previous snapshot expires");

    // A reload that fails returns the error and keeps the snapshot.
    key_file(&dir, "short");
    let error = live.reload().await.unwrap_err();
    assert_eq!(error.errors()[0].path(), "stripe_key");
    assert!(matches!(
        next(&mut events).await,
        ReloadEvent::Rejected { .. }
    ));
    assert_eq!(live.get().stripe_key.expose_secret(), rotated);

    // A change of a plain field keeps no previous snapshot.
    key_file(&dir, rotated);
    save(&path, &format!("{}port = 9009\n", key_file(&dir, rotated)));
    assert_eq!(applied(&mut events).await.1, ["port"]);
    assert!(live.previous().is_none());
}

/// A TOML file the `Live` config is never told to watch (it names no watch paths): only a
/// full reload (SIGHUP, [`Live::reload`](config_runtime::live::Live::reload)) reads it again.
struct Unwatched(source::File);

impl Source for Unwatched {
    fn name(&self) -> String {
        self.0.name()
    }

    fn gather(&self, context: &GatherContext) -> Gathering<'_> {
        self.0.gather(context)
    }
}

#[cfg(unix)]
#[tokio::test]
async fn sighup_reloads_when_enabled() {
    let dir = Scratch::new();
    let path = dir.write("config.toml", &format!("stripe_key = \"{STRIPE_KEY}\"\n"));
    let live = AppConfig::loader()
        .vars(required_vars(&[]))
        .source(Unwatched(source::File::required(&path)))
        .watch_with(WatchOptions::default().reload_on_sighup(true))
        .await
        .unwrap();
    let mut events = live.subscribe();

    let rotated = "sk_test_rotated_0123456789abcdef01234567";
    save(&path, &format!("stripe_key = \"{rotated}\"\n"));
    // Nothing watches the file, so nothing but the signal can bring the change in.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(matches!(events.try_recv(), Err(TryRecvError::Empty)));
    assert_eq!(live.get().stripe_key.expose_secret(), STRIPE_KEY);

    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        applied(&mut events).await,
        (2, vec!["stripe_key".to_owned()], vec![])
    );
    assert_eq!(live.get().stripe_key.expose_secret(), rotated);
}

#[tokio::test]
async fn events_and_metrics_never_show_secrets() {
    let canary = "sk_test_CANARY_4242424242424242424242424242";
    let canary_url = "postgres://app:CANARY-PASSWORD@db/app";
    let dir = Scratch::new();
    let path = dir.write("config.toml", "port = 9000\n");
    let live = watch_file(&path).await;
    let mut events = live.subscribe();

    save(
        &path,
        &format!("stripe_key = \"{canary}\"\ndatabase_url = \"{canary_url}\"\n"),
    );
    let applied = next(&mut events).await;
    // A secret that fails its rules, and one in a URL of the wrong scheme.
    save(
        &path,
        "stripe_key = \"CANARY-short\"\ndatabase_url = \"mysql://u:CANARY-PASSWORD@db/app\"\n",
    );
    let rejected = next(&mut events).await;
    assert!(matches!(rejected, ReloadEvent::Rejected { .. }));
    let metrics = live.metrics();
    for text in [
        format!("{applied:?}"),
        applied.to_string(),
        format!("{rejected:?}"),
        rejected.to_string(),
        format!("{metrics:?}"),
        format!("{live:?}"),
    ] {
        assert!(!text.contains("CANARY"), "a secret leaked: {text}");
    }
    assert!(applied.to_string().contains("stripe_key"));
}
