//! The source seam as users rely on it: a `Live` config gathers again only the sources whose
//! input moved (a provider version poll reads no file; a change of one file of three reads
//! that file only), values from a remote store are data whose `${..}` is never resolved on
//! this machine, and every background task ends within a second of the last handle.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use config_providers::etcd::EtcdSource;
use config_runtime::BoxFuture;
use config_runtime::live::ReloadEvent;
use config_runtime::live::WatchOptions;
use config_runtime::source::{self, GatherContext, Gathering, Source, Version, WatchedPath};
use config_runtime::{Config, ProviderError, Secret, SecretData, SecretProvider};
use config_tests::Scratch;
use config_tests::etcd::EtcdCluster;
use config_tests::events::{applied, next};
use config_tests::files::save;

#[derive(Config, Debug)]
#[config(prefix = "SEAM")]
struct Seam {
    /// Set by the first file.
    #[config(default = "a")]
    alpha: String,
    /// Set by the second file.
    #[config(default = "b")]
    beta: String,
    /// Set by the third file.
    #[config(default = "c")]
    gamma: String,
    /// A port, to make a value invalid.
    #[config(default = 1)]
    port: u16,
    /// From a secret provider.
    token: Option<Secret<String>>,
}

/// A file source that counts its reads.
struct Counting {
    file: source::File,
    reads: Arc<AtomicUsize>,
}

impl Counting {
    fn new(path: &std::path::Path) -> (Self, Arc<AtomicUsize>) {
        let reads = Arc::new(AtomicUsize::new(0));
        let file = source::File::required(path);
        let counting = Counting {
            file,
            reads: Arc::clone(&reads),
        };
        (counting, reads)
    }
}

impl Source for Counting {
    fn name(&self) -> String {
        self.file.name()
    }

    fn gather(&self, context: &GatherContext) -> Gathering<'_> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.file.gather(context)
    }

    fn watch_paths(&self) -> Vec<WatchedPath> {
        self.file.watch_paths()
    }
}

/// An in-process secret store whose version moves when a value is set: enough to drive the
/// runtime's polling (the real stores have their own tests).
#[derive(Clone)]
struct Versioned {
    state: Arc<Mutex<(String, u64)>>,
}

impl Versioned {
    fn set(&self, value: &str) {
        let mut state = self.state.lock().unwrap();
        state.0 = value.to_owned();
        state.1 += 1;
    }
}

impl SecretProvider for Versioned {
    fn scheme(&self) -> &str {
        "mem"
    }

    fn fetch<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<SecretData, ProviderError>> {
        let (value, version) = self.state.lock().unwrap().clone();
        Box::pin(async move { Ok(SecretData::text(value).with_version(version.to_string())) })
    }

    fn current_version<'a>(
        &'a self,
        _: &'a str,
    ) -> BoxFuture<'a, Result<Option<Version>, ProviderError>> {
        let version = self.state.lock().unwrap().1;
        Box::pin(async move { Ok(Some(Version::new(version.to_string()))) })
    }
}

#[tokio::test]
async fn a_version_poll_reads_no_file_and_a_changed_file_is_read_alone() {
    let dir = Scratch::new();
    let paths = [
        dir.write("a.toml", "alpha = \"1\"\n"),
        dir.write("b.toml", "beta = \"1\"\n"),
        dir.write("c.toml", "gamma = \"1\"\n"),
    ];
    let store = Versioned {
        state: Arc::new(Mutex::new(("first-token".to_owned(), 1))),
    };
    let mut loader = Seam::loader();
    let mut reads = Vec::new();
    for path in &paths {
        let (source, count) = Counting::new(path);
        loader = loader.source(source);
        reads.push(count);
    }
    let live = loader
        .vars([("SEAM_TOKEN", "${mem:token}")])
        .provider(store.clone())
        .watch_with(WatchOptions::default().remote_poll_interval(Duration::from_millis(100)))
        .await
        .unwrap();
    let count = || {
        reads
            .iter()
            .map(|r| r.load(Ordering::SeqCst))
            .collect::<Vec<_>>()
    };
    assert_eq!(count(), [1, 1, 1]);
    let mut events = live.subscribe();

    store.set("second-token");
    let (_, changed, _) = applied(&mut events).await;
    assert_eq!(changed, ["token"]);
    assert_eq!(
        live.get().token.as_ref().unwrap().expose_secret(),
        "second-token"
    );
    assert_eq!(count(), [1, 1, 1], "a version poll reads no file");

    save(&paths[1], "beta = \"2\"\n");
    let (_, changed, _) = applied(&mut events).await;
    assert_eq!(changed, ["beta"]);
    assert_eq!(live.get().beta, "2");
    assert_eq!(count(), [1, 2, 1], "only the changed file is read again");
}

const ENV_CANARY: &str = "canary-env-7f3a91c2";
const FILE_CANARY: &str = "canary-file-52be08d4";

fn assert_clean(text: &str, what: &str) {
    assert!(
        !text.contains(ENV_CANARY),
        "{what} leaked the variable: {text}"
    );
    assert!(
        !text.contains(FILE_CANARY),
        "{what} leaked the file: {text}"
    );
}

#[tokio::test]
async fn references_in_remote_values_stay_text() {
    let Some(cluster) = EtcdCluster::start(1) else {
        return;
    };
    let dir = Scratch::new();
    let secret_file = dir.write("host-secret", FILE_CANARY);
    let by_file = format!("${{file:{}}}", secret_file.display());
    cluster.put("/seam/alpha", "${env:HOST_CANARY}");
    cluster.put("/seam/beta", &by_file);
    cluster.put("/seam/token", "${env:HOST_CANARY}");
    let etcd = || {
        EtcdSource::builder(cluster.endpoints.clone(), "/seam/")
            .build()
            .unwrap()
    };
    // The variable is there to be found: a local value could reference it.
    let loader = || {
        Seam::loader()
            .vars([("HOST_CANARY", ENV_CANARY)])
            .source(etcd())
    };

    let seam = loader().load_async().await.unwrap();
    assert_eq!(seam.alpha, "${env:HOST_CANARY}");
    assert_eq!(seam.beta, by_file);
    assert_eq!(
        seam.token.as_ref().unwrap().expose_secret(),
        "${env:HOST_CANARY}"
    );
    assert_clean(&format!("{seam:?}"), "Debug");
    let explain = loader().explain_async().await.unwrap();
    assert_eq!(explain.row("alpha").unwrap().value, "${env:HOST_CANARY}");
    assert_clean(&explain.to_string(), "explain");

    // A bad value is quoted as the text it is, never as what it would have referenced.
    cluster.put("/seam/port", "${env:HOST_CANARY}");
    let error = loader().load_async().await.unwrap_err();
    assert_eq!(error.errors()[0].path(), "port");
    assert_clean(&error.to_string(), "an error");
    assert_clean(&format!("{error:?}"), "an error's Debug");

    // The same through a live config: events and metrics.
    cluster.put("/seam/port", "8080");
    let live = loader()
        .watch_with(WatchOptions::default().remote_poll_interval(Duration::ZERO))
        .await
        .unwrap();
    let mut events = live.subscribe();
    cluster.put("/seam/port", &by_file);
    match next(&mut events).await {
        ReloadEvent::Rejected { error } => {
            assert_eq!(error.errors()[0].path(), "port");
            assert_clean(&error.to_string(), "a Rejected event");
        }
        other => panic!("expected a rejection, got {other}"),
    }
    cluster.put("/seam/port", "8081");
    cluster.put("/seam/gamma", "${env:HOST_CANARY}");
    let event = loop {
        let event = next(&mut events).await;
        if matches!(&event, ReloadEvent::Applied(applied) if applied.changed.iter().any(|c| c == "gamma"))
        {
            break event;
        }
    };
    assert_clean(&format!("{event} {event:?}"), "an Applied event");
    assert_eq!(live.get().gamma, "${env:HOST_CANARY}");
    assert_eq!(live.get().port, 8081);
    assert_clean(&format!("{:?}", live.metrics()), "metrics");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_task_ends_within_a_second_of_the_last_handle() {
    let Some(cluster) = EtcdCluster::start(1) else {
        return;
    };
    cluster.put("/tasks/alpha", "from-etcd");
    let dir = Scratch::new();
    let file = dir.write("b.toml", "beta = \"1\"\n");
    let runtime = tokio::runtime::Handle::current().metrics();
    let before = runtime.num_alive_tasks();

    let etcd = EtcdSource::builder(cluster.endpoints.clone(), "/tasks/")
        .build()
        .unwrap();
    let live = Seam::loader()
        .file(&file)
        .source(etcd)
        .watch_with(
            WatchOptions::default()
                .remote_poll_interval(Duration::from_millis(50))
                .rotation_grace(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    let mut events = live.subscribe();
    let other = live.clone();
    cluster.put("/tasks/alpha", "moved");
    assert_eq!(
        applied(&mut events).await.1,
        ["alpha"],
        "the watch is running"
    );
    assert!(runtime.num_alive_tasks() > before);

    drop(live);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(runtime.num_alive_tasks() > before, "a clone still watches");
    drop(events);
    drop(other);
    let dropped = std::time::Instant::now();
    while runtime.num_alive_tasks() > before {
        assert!(
            dropped.elapsed() < Duration::from_secs(1),
            "{} task(s) still alive a second after the last handle",
            runtime.num_alive_tasks() - before
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
