//! Waiting for the reload events of a [`Live`](config_runtime::live::Live) config.

use std::time::Duration;

use config_runtime::KeyPath;
use config_runtime::live::{Applied, ReloadEvent};
use tokio::sync::broadcast::Receiver;

/// How long a test waits for a reload (generous: test machines are noisy).
pub const WAIT: Duration = Duration::from_secs(10);

/// The next event, within [`WAIT`]; panics when none comes or the channel closed.
pub async fn next(events: &mut Receiver<ReloadEvent>) -> ReloadEvent {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("a reload event within 10 s")
        .expect("the event channel stays open")
}

/// (version, changed, restart_required) of the next event, which must be `Applied`; the
/// key paths as strings, to compare with a list of literals.
pub async fn applied(events: &mut Receiver<ReloadEvent>) -> (u64, Vec<String>, Vec<String>) {
    let strings = |paths: Vec<KeyPath>| paths.into_iter().map(String::from).collect();
    match next(events).await {
        ReloadEvent::Applied(Applied {
            version,
            changed,
            restart_required,
            ..
        }) => (version, strings(changed), strings(restart_required)),
        other => panic!("expected an applied reload, got {other}"),
    }
}

/// (version, changed) of the next event, which must be `Applied`; for tests that do not
/// look at restart-only fields.
pub async fn applied_changed(events: &mut Receiver<ReloadEvent>) -> (u64, Vec<String>) {
    let (version, changed, _) = applied(events).await;
    (version, changed)
}

/// Waits up to 15 s for `check` to hold (a state that follows a source, polled), naming
/// `what` if it never does.
pub async fn eventually(what: &str, check: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !check() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
