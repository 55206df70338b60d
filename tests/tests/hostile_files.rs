//! Files that would hang or exhaust a load: FIFOs, devices, huge or sparse files, in every
//! place a file is read (`.file`, `.dotenv`, `.dir`, `${file:..}`, a watched file); reads
//! kept off the async workers; a truncate-then-write seen by a watcher.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use config_runtime::Config;
use config_runtime::source::{GatherContext, Gathered, Gathering, Source};
use config_tests::Scratch;

/// A few settings, one of them required.
#[derive(Config, Debug)]
#[config(prefix = "HOSTILE")]
struct Small {
    /// A token, required.
    token: String,
}

/// Long enough for a loaded machine; a hang is what fails.
const LIMIT: Duration = Duration::from_secs(60);

/// Runs `f` on its own thread: a hang fails the test instead of blocking it forever.
fn within<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(LIMIT)
        .expect("the load hung on a file it should have refused")
}

fn mkfifo(path: &Path) -> PathBuf {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
    path.to_owned()
}

/// The error text of a failed load of `Small`.
fn load_error(loader: config_runtime::Loader<Small>) -> String {
    within(move || loader.load().map(|_| ()))
        .expect_err("the load must fail")
        .to_string()
}

#[test]
fn a_fifo_as_file_or_dotenv_is_refused_naming_the_path() {
    let dir = Scratch::new();
    let fifo = mkfifo(&dir.path().join("config.toml"));
    let shown = load_error(Small::loader().set("token", "t").file(&fifo));
    assert!(shown.contains(&fifo.display().to_string()), "{shown}");
    assert!(shown.contains("FIFO"), "{shown}");

    let env = mkfifo(&dir.path().join(".env"));
    let shown = load_error(Small::loader().set("token", "t").dotenv(&env));
    assert!(shown.contains(&env.display().to_string()), "{shown}");
    assert!(shown.contains("FIFO"), "{shown}");
}

#[test]
fn a_fifo_in_a_dir_source_or_behind_a_file_reference_is_refused() {
    let dir = Scratch::new();
    let secrets = dir.path().join("secrets");
    std::fs::create_dir(&secrets).unwrap();
    let fifo = mkfifo(&secrets.join("token"));
    let loader = Small::loader().dir(&secrets);
    let error = within(move || loader.load().map(|_| ())).unwrap_err();
    assert_eq!(error.errors().len(), 1, "reported once: {error}");
    let shown = error.to_string();
    assert!(shown.contains(&fifo.display().to_string()), "{shown}");
    assert!(shown.contains("FIFO"), "{shown}");

    let referenced = mkfifo(&dir.path().join("token.fifo"));
    let shown =
        load_error(Small::loader().set("token", format!("${{file:{}}}", referenced.display())));
    assert!(shown.contains("FIFO"), "{shown}");
}

#[test]
fn an_unreadable_dir_entry_is_reported_once() {
    let dir = Scratch::new();
    // A directory where a file should be: it cannot be read as text, whoever runs the test.
    std::fs::create_dir_all(dir.path().join("token")).unwrap();
    let loader = Small::loader().dir(dir.path());
    let error = within(move || loader.load().map(|_| ())).unwrap_err();
    assert_eq!(error.errors().len(), 1, "{error}");
    assert_eq!(error.errors()[0].path(), "token", "{error}");
}

#[cfg(target_os = "linux")]
#[test]
fn dev_zero_directly_or_through_a_symlink_is_refused() {
    let dir = Scratch::new();
    let shown = load_error(Small::loader().set("token", "${file:/dev/zero}"));
    assert!(
        shown.contains("/dev/zero") && shown.contains("device"),
        "{shown}"
    );

    let link = dir.path().join("config.toml");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let shown = load_error(Small::loader().set("token", "t").file(&link));
    assert!(shown.contains(&link.display().to_string()), "{shown}");
    assert!(shown.contains("device"), "{shown}");

    let secrets = dir.path().join("secrets");
    std::fs::create_dir(&secrets).unwrap();
    std::os::unix::fs::symlink("/dev/zero", secrets.join("token")).unwrap();
    let shown = load_error(Small::loader().dir(&secrets));
    assert!(shown.contains("device"), "{shown}");
}

#[test]
fn a_huge_sparse_file_is_refused_by_its_size() {
    let dir = Scratch::new();
    let path = dir.path().join("config.toml");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let shown = load_error(Small::loader().set("token", "t").file(&path));
    assert!(shown.contains(&path.display().to_string()), "{shown}");
    assert!(shown.contains("1 MiB"), "names the cap: {shown}");

    let reference = format!("${{file:{}}}", path.display());
    let shown = load_error(Small::loader().set("token", reference));
    assert!(shown.contains("1 MiB"), "{shown}");

    let env = dir.path().join(".env");
    std::fs::File::create(&env)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let shown = load_error(Small::loader().set("token", "t").dotenv(&env));
    assert!(shown.contains("1 MiB"), "{shown}");
}

#[test]
fn the_cap_is_a_loader_setting() {
    let dir = Scratch::new();
    let padding = "#".repeat(3000);
    let path = dir.write("config.toml", &format!("{padding}\ntoken = \"t\"\n"));
    let loaded = Small::loader().file(&path).load().unwrap();
    assert_eq!(loaded.token, "t");

    let shown = load_error(Small::loader().file(&path).max_file_size(2048));
    assert!(shown.contains("2 KiB"), "names the cap: {shown}");
    assert!(shown.contains(&path.display().to_string()), "{shown}");

    let token = dir.write("token", &"k".repeat(5000));
    let reference = format!("${{file:{}}}", token.display());
    let shown = load_error(Small::loader().set("token", &reference).max_file_size(4096));
    assert!(shown.contains("4 KiB"), "{shown}");
    let loaded = Small::loader()
        .set("token", &reference)
        .max_file_size(8192)
        .load()
        .unwrap();
    assert_eq!(loaded.token.len(), 5000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_a_fifo_fails_instead_of_hanging() {
    let dir = Scratch::new();
    let fifo = mkfifo(&dir.path().join("config.toml"));
    let watched = Small::loader().set("token", "t").file(&fifo).watch();
    let error = tokio::time::timeout(LIMIT, watched)
        .await
        .expect("watch() hung on a FIFO")
        .unwrap_err();
    assert!(error.to_string().contains("FIFO"), "{error}");
}

/// A local source whose read waits until another task of the runtime lets it go: it can
/// only finish when the read does not hold the runtime's only worker.
struct WaitsForTheRuntime {
    go: std::sync::Mutex<mpsc::Receiver<()>>,
}

impl Source for WaitsForTheRuntime {
    fn name(&self) -> String {
        "slow disk".to_owned()
    }

    fn gather(&self, _: &GatherContext) -> Gathering<'_> {
        let go = self
            .go
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(20));
        assert!(
            go.is_ok(),
            "the read held the only worker: nothing else could run"
        );
        Gathering::Ready(Ok(Gathered::new(Vec::new())))
    }
}

fn slow_disk() -> (WaitsForTheRuntime, mpsc::Sender<()>) {
    let (tx, rx) = mpsc::channel();
    let source = WaitsForTheRuntime {
        go: std::sync::Mutex::new(rx),
    };
    (source, tx)
}

/// Another task lets the slow disk answer after 100 ms: it can run only while the read does
/// not hold the runtime's one worker.
fn release_later(go: mpsc::Sender<()>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = go.send(());
    })
}

#[test]
fn load_async_and_watch_read_files_off_the_async_workers() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (source, go) = slow_disk();
        let helper = release_later(go);
        let loaded = tokio::spawn(async move {
            Small::loader()
                .set("token", "t")
                .source(source)
                .load_async()
                .await
        });
        loaded.await.unwrap().unwrap();
        helper.await.unwrap();

        let (source, go) = slow_disk();
        let helper = release_later(go);
        let live = tokio::spawn(async move {
            Small::loader()
                .set("token", "t")
                .source(source)
                .watch()
                .await
        });
        let live = live.await.unwrap().unwrap();
        assert_eq!(live.get().token, "t");
        helper.await.unwrap();
    });
}

// `.env` files as the ecosystem reads them.

#[test]
fn dotenv_shell_forms_read_the_environment_and_the_file_itself() {
    let dir = Scratch::new();
    let env = dir.write(
        ".env",
        "HF_BASE_DIR=/srv/app\nHOSTILE_TOKEN=${HF_BASE_DIR}/${HF_SUFFIX}\n",
    );
    let loaded = Small::loader()
        .dotenv(&env)
        .vars([("HF_SUFFIX", "key")])
        .load()
        .unwrap();
    assert_eq!(loaded.token, "/srv/app/key");

    let env = dir.write(
        ".env.default",
        "HOSTILE_TOKEN=${HF_NOT_SET_ANYWHERE:-fallback}\n",
    );
    let loaded = Small::loader().dotenv(&env).load().unwrap();
    assert_eq!(loaded.token, "fallback");

    let env = dir.write(
        ".env.required",
        "HOSTILE_TOKEN=${HF_NOT_SET_ANYWHERE:?ask the admin}\n",
    );
    let shown = load_error(Small::loader().dotenv(&env));
    assert!(shown.contains("${HF_NOT_SET_ANYWHERE:?..}"), "{shown}");
    assert!(shown.contains("ask the admin"), "{shown}");
}

#[test]
fn a_single_quoted_dotenv_value_is_literal() {
    let dir = Scratch::new();
    let env = dir.write(".env", "HOSTILE_TOKEN='${env:HOME} and ${HOME}'\n");
    let loaded = Small::loader().dotenv(&env).load().unwrap();
    assert_eq!(loaded.token, "${env:HOME} and ${HOME}");
}

#[test]
fn a_byte_order_mark_is_accepted_in_dotenv_and_json() {
    let dir = Scratch::new();
    let env = dir.write(".env", "\u{feff}HOSTILE_TOKEN=t\n");
    assert_eq!(Small::loader().dotenv(&env).load().unwrap().token, "t");
    let json = dir.write("config.json", "\u{feff}{\"token\": \"j\"}");
    assert_eq!(Small::loader().file(&json).load().unwrap().token, "j");
}

/// A key set twice in a `.env` is refused like a repeated key in every other format (tools
/// disagree on which one wins), naming both lines and no value.
#[test]
fn a_key_set_twice_in_a_dotenv_is_refused_naming_both_lines() {
    let dir = Scratch::new();
    let env = dir.write(
        ".env",
        "HOSTILE_TOKEN=first-canary\n# later\nexport HOSTILE_TOKEN=\"second-canary\"\n",
    );
    let shown = load_error(Small::loader().dotenv(&env));
    assert!(
        shown.contains(&format!(
            "{} line 3: invalid .env file: HOSTILE_TOKEN is set twice, on lines 1 and 3",
            env.display()
        )),
        "{shown}"
    );
    assert!(!shown.contains("canary"), "{shown}");
}

#[test]
fn a_repeated_json_key_is_refused_and_formats_are_named_in_capitals() {
    let dir = Scratch::new();
    let json = dir.write("config.json", "{\n\"token\": \"a\",\n\"token\": \"b\"\n}");
    let shown = load_error(Small::loader().file(&json));
    assert!(shown.contains("invalid JSON file"), "{shown}");
    assert!(shown.contains("duplicate key `token`"), "{shown}");
    assert!(shown.contains("line 3"), "{shown}");

    let yaml = dir.write("config.yaml", "token: a\ntoken: hunter2\n");
    let shown = load_error(Small::loader().file(&yaml));
    assert!(shown.contains("invalid YAML file"), "{shown}");
    assert!(shown.contains("duplicate key `token`"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

// A watched file that is truncated and then written.

/// Settings that are all valid when the file is empty.
#[derive(Config, Debug)]
#[config(prefix = "HOSTILE_LIVE")]
struct Port {
    /// A port.
    #[config(default = 1)]
    port: u16,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_then_written_file_is_not_applied_while_empty() {
    use config_runtime::live::{ReloadEvent, WatchOptions};
    use config_tests::events::next;

    let dir = Scratch::new();
    let path = dir.write("port.toml", "port = 2\n");
    let options = WatchOptions::default()
        .debounce(Duration::from_millis(20))
        .empty_file_settle(Duration::from_secs(3));
    let live = Port::loader()
        .file(&path)
        .watch_with(options)
        .await
        .unwrap();
    let mut events = live.subscribe();
    assert_eq!(live.get().port, 2);

    // Truncated, then written well after the debounce and well inside the settle delay.
    std::fs::File::create(&path).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    std::fs::write(&path, "port = 3\n").unwrap();
    match next(&mut events).await {
        ReloadEvent::Applied(_) => assert_eq!(live.get().port, 3, "the empty file was applied"),
        other => panic!("expected the written file to be applied, got {other}"),
    }

    // A file that stays empty is read once the delay has passed.
    let options = WatchOptions::default()
        .debounce(Duration::from_millis(20))
        .empty_file_settle(Duration::from_millis(300));
    let live = Port::loader()
        .file(&path)
        .watch_with(options)
        .await
        .unwrap();
    let mut events = live.subscribe();
    std::fs::File::create(&path).unwrap();
    match next(&mut events).await {
        ReloadEvent::Applied(_) => assert_eq!(live.get().port, 1),
        other => panic!("expected the emptied file to be applied, got {other}"),
    }
}

#[test]
fn one_value_cannot_repeat_a_file_past_the_cap() {
    let dir = Scratch::new();
    let chunk = dir.write("chunk", &"k".repeat(16 * 1024));
    let reference = format!("${{file:{}}}", chunk.display());
    let once = Small::loader().set("token", &reference).load().unwrap();
    assert_eq!(once.token.len(), 16 * 1024);
    let shown = load_error(Small::loader().set("token", reference.repeat(400)));
    assert!(shown.contains("1 MiB"), "{shown}");
    assert!(shown.contains(&chunk.display().to_string()), "{shown}");
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_polling_watcher_opens_no_file_of_the_watched_directory() {
    use config_runtime::live::WatchOptions;
    use notify::event::{AccessKind, EventKind};
    use notify::{RecursiveMode, Watcher as _};

    let dir = Scratch::new();
    let path = dir.write("port.toml", "port = 2\n");
    let neighbour = dir.write("neighbour.bin", "a file that is not a source\n");
    // Opens of files in the directory, seen by inotify.
    let (tx, rx) = mpsc::channel();
    let mut spy = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && matches!(event.kind, EventKind::Access(AccessKind::Open(_)))
        {
            let _ = tx.send(event.paths);
        }
    })
    .unwrap();
    spy.watch(dir.path(), RecursiveMode::NonRecursive).unwrap();

    let options = WatchOptions::default()
        .force_poll(true)
        .poll_interval(Duration::from_millis(50));
    let live = Port::loader()
        .file(&path)
        .watch_with(options)
        .await
        .unwrap();
    let mut events = live.subscribe();
    // The first load reads the source; its events may come late.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while rx.try_recv().is_ok() {}
    tokio::time::sleep(Duration::from_millis(600)).await;
    let opened: Vec<PathBuf> = rx.try_iter().flatten().collect();
    assert!(
        !opened
            .iter()
            .any(|p| p.ends_with("neighbour.bin") || p.ends_with("port.toml")),
        "the watcher opened {opened:?}"
    );

    // It still sees a change of the same size within the same second.
    std::fs::write(&path, "port = 3\n").unwrap();
    match config_tests::events::next(&mut events).await {
        config_runtime::live::ReloadEvent::Applied(_) => assert_eq!(live.get().port, 3),
        other => panic!("expected an applied reload, got {other}"),
    }
    drop(neighbour);
}

#[derive(Config, Debug)]
#[config(prefix = "NUL")]
struct Nullable {
    /// Unset by a null.
    sentry_dsn: Option<String>,
    /// Back to its default when a later file says null.
    #[config(default = 8080)]
    port: u16,
}

#[test]
fn null_in_json_and_yaml_unsets_a_key() {
    let dir = Scratch::new();
    let base = dir.write(
        "base.json",
        r#"{"sentry_dsn": "https://dsn", "port": 9000}"#,
    );
    for (name, text) in [
        ("over.json", r#"{"sentry_dsn": null, "port": null}"#),
        ("over.yaml", "sentry_dsn: ~\nport: null\n"),
    ] {
        let over = dir.write(name, text);
        let loaded = Nullable::loader().file(&base).file(&over).load().unwrap();
        assert_eq!(loaded.sentry_dsn, None, "{name}");
        assert_eq!(loaded.port, 8080, "{name}");
    }
    let list = dir.write("list.json", r#"{"sentry_dsn": [null]}"#);
    let error = Nullable::loader().file(&list).load().unwrap_err();
    assert!(error.to_string().contains("null in a list"), "{error}");
}

#[derive(Config, Debug)]
#[config(prefix = "NUT")]
struct NullableText {
    /// A default written as text.
    #[config(default = "info")]
    level: String,
    /// A section whose fields all have defaults.
    #[config(nested)]
    db: NullableDb,
}

#[derive(Config, Debug)]
struct NullableDb {
    #[config(default = "localhost")]
    host: String,
    #[config(default = 5432)]
    port: u16,
}

/// A null gives a field its default back whatever the default's type, in a section as at the
/// top, and a null section gives each of its fields its default: a later file's null is never
/// "required, not set" for a field that has a default.
#[test]
fn null_gives_text_defaults_back_and_a_null_section_its_defaults() {
    let dir = Scratch::new();
    let base = dir.write(
        "base.json",
        r#"{"level": "debug", "db": {"host": "db1", "port": 6000}}"#,
    );
    for (name, text) in [
        (
            "leaves.json",
            r#"{"level": null, "db": {"host": null, "port": null}}"#,
        ),
        ("leaves.yaml", "level: ~\ndb:\n  host: null\n  port: ~\n"),
        ("section.json", r#"{"level": null, "db": null}"#),
        ("section.yaml", "level: null\ndb: ~\n"),
    ] {
        let over = dir.write(name, text);
        let loaded = NullableText::loader()
            .file(&base)
            .file(&over)
            .load()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(loaded.level, "info", "{name}");
        assert_eq!(loaded.db.host, "localhost", "{name}");
        assert_eq!(loaded.db.port, 5432, "{name}");
        let report = NullableText::loader()
            .file(&base)
            .file(&over)
            .explain()
            .unwrap();
        let host = report.row("db.host").unwrap();
        assert_eq!(host.origin, Some(config_runtime::Origin::Default), "{name}");
    }
}
