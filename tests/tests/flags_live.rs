//! Live flags from a watched file: edits apply without a restart, a broken edit keeps the
//! last good document, and the kill switch beats the file.

use std::time::Duration;

use config_runtime::flags::{Context, FlagFile, Forced, KillSwitch, LiveFlags, LiveFlagsOptions};
use config_tests::events::eventually;

fn document(enabled: bool) -> String {
    format!(
        "features:\n  - name: checkout\n    enabled: {enabled}\n    strategies:\n      - name: default\n"
    )
}

fn options() -> LiveFlagsOptions {
    LiveFlagsOptions::default()
        .poll_interval(Duration::from_millis(200))
        .kill_switch(KillSwitch::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_file_reloads_and_a_broken_edit_keeps_the_last_good_document() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.yaml");
    std::fs::write(&path, document(false)).unwrap();
    let flags = LiveFlags::start(FlagFile::new(&path), options())
        .await
        .unwrap();
    let ctx = Context::new();
    assert!(!flags.is_enabled("checkout", &ctx));

    std::fs::write(&path, document(true)).unwrap();
    eventually("the edit", || flags.is_enabled("checkout", &ctx)).await;

    std::fs::write(&path, "features: [ {name: ").unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        flags.is_enabled("checkout", &ctx),
        "the last good document stays"
    );

    std::fs::write(&path, document(false)).unwrap();
    eventually("the repaired file", || !flags.is_enabled("checkout", &ctx)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_beats_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    std::fs::write(
        &path,
        r#"{"features": [{"name": "checkout", "enabled": true}]}"#,
    )
    .unwrap();
    let switch = KillSwitch::new().force("checkout", Forced::Off);
    let flags = LiveFlags::start(FlagFile::new(&path), options().kill_switch(switch))
        .await
        .unwrap();
    assert!(!flags.is_enabled("checkout", &Context::new()));
    assert_eq!(
        flags.load().variant("checkout", &Context::new()).name,
        "disabled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_at_start_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = LiveFlags::start(FlagFile::new(dir.path().join("none.yaml")), options())
        .await
        .err()
        .expect("no document, no flags");
    assert!(err.to_string().contains("none.yaml"), "{err}");
}
