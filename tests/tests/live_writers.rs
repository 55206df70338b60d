//! `Live` follows what real writers do to files: editors that save by rename, truncate-then-
//! write, delete and re-create, an optional file that appears later, and Kubernetes'
//! `..data` symlink swap, for a directory source and for a file. Each test does exactly those
//! filesystem operations and waits (with a generous timeout) for the reload event.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use config_runtime::Config;
use config_runtime::live::{Applied, ReloadEvent};
use config_tests::events::{applied_changed, next};
use config_tests::files::save;
use config_tests::{AppConfig, DATABASE_URL, STRIPE_KEY, Scratch, required_vars, watch_file};

#[tokio::test]
async fn editor_save_by_rename_is_applied() {
    let dir = Scratch::new();
    let path = dir.write("config.toml", "port = 9000\n");
    let live = watch_file(&path).await;
    let mut events = live.subscribe();
    assert_eq!((live.get().port, live.version()), (9000, 1));

    save(&path, "port = 9001\n");
    assert_eq!(
        applied_changed(&mut events).await,
        (2, vec!["port".to_owned()])
    );
    assert_eq!(live.get().port, 9001);

    // A second save by rename: the watch survived the first one.
    save(&path, "port = 9002\n");
    assert_eq!(
        applied_changed(&mut events).await,
        (3, vec!["port".to_owned()])
    );
    assert_eq!(live.load().port, 9002);
}

#[tokio::test]
async fn truncate_then_write_rejects_the_partial_file_then_applies_the_whole() {
    let dir = Scratch::new();
    let whole = |port: u16| {
        format!("database_url = \"{DATABASE_URL}\"\nstripe_key = \"{STRIPE_KEY}\"\nport = {port}\n")
    };
    let path = dir.write("config.toml", &whole(9000));
    // Everything comes from the file: an empty or cut file is invalid.
    let live = AppConfig::loader().file(&path).watch().await.unwrap();
    let mut events = live.subscribe();

    let text = whole(9001);
    let (first, rest) = text.split_at(text.find("sk_test").unwrap() + 4);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    file.write_all(first.as_bytes()).unwrap();
    file.flush().unwrap();
    // The partial content (an unterminated string) is seen and rejected.
    match next(&mut events).await {
        ReloadEvent::Rejected { error } => assert!(!error.errors().is_empty()),
        other => panic!("a cut file must be rejected, got {other}"),
    }
    assert_eq!(live.get().port, 9000);
    assert_eq!(live.version(), 1);

    file.write_all(rest.as_bytes()).unwrap();
    file.flush().unwrap();
    drop(file);
    loop {
        match next(&mut events).await {
            // The empty file right after truncation may be seen separately.
            ReloadEvent::Rejected { .. } => continue,
            ReloadEvent::Applied(Applied {
                version, changed, ..
            }) => {
                assert_eq!(version, 2);
                assert_eq!(changed, ["port"]);
                break;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(live.get().port, 9001);
}

#[tokio::test]
async fn delete_and_recreate() {
    let dir = Scratch::new();
    let path = dir.write("config.toml", "port = 9000\n");
    let live = watch_file(&path).await;
    let mut events = live.subscribe();

    std::fs::remove_file(&path).unwrap();
    match next(&mut events).await {
        ReloadEvent::Rejected { error } => {
            assert!(error.to_string().contains("not found"), "{error}")
        }
        other => panic!("a missing required file is an error, got {other}"),
    }
    assert_eq!(live.get().port, 9000, "the old snapshot stays");

    // Re-created: a new file (new inode) at the same path.
    save(&path, "port = 9005\n");
    assert_eq!(
        applied_changed(&mut events).await,
        (2, vec!["port".to_owned()])
    );
    assert_eq!(live.get().port, 9005);

    // And it is still watched.
    save(&path, "port = 9006\n");
    assert_eq!(
        applied_changed(&mut events).await.1,
        vec!["port".to_owned()]
    );
    assert_eq!(live.get().port, 9006);
}

#[tokio::test]
async fn optional_file_that_appears_later() {
    let dir = Scratch::new();
    let base = dir.write("config.toml", "port = 9000\n");
    let local = dir.path().join("config.local.toml");
    let nested = dir.path().join("conf.d/extra.toml");
    let live = AppConfig::loader()
        .file(&base)
        .file_optional(&local)
        .file_optional(&nested)
        .vars(required_vars(&[]))
        .watch()
        .await
        .unwrap();
    let mut events = live.subscribe();
    assert_eq!(live.get().port, 9000);

    save(&local, "port = 9100\n");
    assert_eq!(
        applied_changed(&mut events).await,
        (2, vec!["port".to_owned()])
    );
    assert_eq!(live.get().port, 9100);

    // In a directory that does not exist yet either.
    std::fs::create_dir(nested.parent().unwrap()).unwrap();
    save(&nested, "log_level = \"debug\"\n");
    assert_eq!(
        applied_changed(&mut events).await,
        (3, vec!["log_level".to_owned()])
    );
    assert_eq!(live.get().log_level, "debug");
}

/// Kubernetes' mounted-volume layout: `<key> -> ..data/<key>`, `..data -> ..<timestamp>`.
struct K8sVolume {
    dir: std::path::PathBuf,
    generation: u32,
}

impl K8sVolume {
    fn new(dir: &Path, files: &[(&str, &str)]) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let mut volume = K8sVolume {
            dir: dir.to_owned(),
            generation: 0,
        };
        let timestamp = volume.write_generation(files);
        std::os::unix::fs::symlink(&timestamp, dir.join("..data")).unwrap();
        for (name, _) in files {
            std::os::unix::fs::symlink(format!("..data/{name}"), dir.join(name)).unwrap();
        }
        volume
    }

    fn write_generation(&mut self, files: &[(&str, &str)]) -> String {
        self.generation += 1;
        let timestamp = format!("..2024_01_01_00_00_0{}.123456789", self.generation);
        let data = self.dir.join(&timestamp);
        std::fs::create_dir(&data).unwrap();
        for (name, text) in files {
            std::fs::write(data.join(name), text).unwrap();
        }
        timestamp
    }

    /// What the kubelet does on an update: a new timestamped directory, a new `..data_tmp`
    /// symlink to it, renamed over `..data` (atomic), then the old directory removed.
    fn update(&mut self, files: &[(&str, &str)]) {
        let old = std::fs::read_link(self.dir.join("..data")).unwrap();
        let timestamp = self.write_generation(files);
        let tmp = self.dir.join("..data_tmp");
        std::os::unix::fs::symlink(&timestamp, &tmp).unwrap();
        std::fs::rename(&tmp, self.dir.join("..data")).unwrap();
        std::fs::remove_dir_all(self.dir.join(old)).unwrap();
    }
}

#[tokio::test]
async fn kubernetes_symlink_swap_in_a_directory_source() {
    let dir = Scratch::new();
    let secrets = dir.path().join("secrets");
    let key_v2 = "sk_live_v2_0123456789abcdef0123456789";
    let mut volume = K8sVolume::new(
        &secrets,
        &[("APP_STRIPE_KEY", STRIPE_KEY), ("redis.port", "7000\n")],
    );
    let live = AppConfig::loader()
        .vars(required_vars(&[]))
        .dir(&secrets)
        .watch()
        .await
        .unwrap();
    let mut events = live.subscribe();
    assert_eq!(live.get().redis.port, 7000);

    volume.update(&[("APP_STRIPE_KEY", key_v2), ("redis.port", "7001\n")]);
    let (version, changed) = applied_changed(&mut events).await;
    assert_eq!(version, 2);
    assert_eq!(changed, ["stripe_key", "redis.port"]);
    let cfg = live.get();
    assert_eq!(cfg.redis.port, 7001);
    assert_eq!(cfg.stripe_key.expose_secret(), key_v2);

    // Again: the watch follows the swapped symlink.
    volume.update(&[("APP_STRIPE_KEY", key_v2), ("redis.port", "7002\n")]);
    assert_eq!(
        applied_changed(&mut events).await,
        (3, vec!["redis.port".to_owned()])
    );
    assert_eq!(live.get().redis.port, 7002);
}

#[tokio::test]
async fn kubernetes_symlink_swap_of_a_config_file() {
    let dir = Scratch::new();
    let mount = dir.path().join("config");
    let mut volume = K8sVolume::new(&mount, &[("config.toml", "port = 9000\n")]);
    let live = watch_file(&mount.join("config.toml")).await;
    let mut events = live.subscribe();
    assert_eq!(live.get().port, 9000);

    volume.update(&[("config.toml", "port = 9001\n")]);
    assert_eq!(
        applied_changed(&mut events).await,
        (2, vec!["port".to_owned()])
    );
    assert_eq!(live.get().port, 9001);

    volume.update(&[("config.toml", "port = 9002\nlog_level = \"warn\"\n")]);
    assert_eq!(
        applied_changed(&mut events).await,
        (3, vec!["port".to_owned(), "log_level".to_owned()])
    );
    assert_eq!(live.get().port, 9002);
}

#[tokio::test]
async fn the_polling_watcher_sees_changes_too() {
    let dir = Scratch::new();
    let path = dir.write("config.toml", "port = 9000\n");
    let options = config_runtime::live::WatchOptions::default()
        .force_poll(true)
        .poll_interval(Duration::from_millis(100));
    let live = AppConfig::loader()
        .file(&path)
        .vars(required_vars(&[]))
        .watch_with(options)
        .await
        .unwrap();
    let mut events = live.subscribe();

    save(&path, "port = 9001\n");
    assert_eq!(
        applied_changed(&mut events).await,
        (2, vec!["port".to_owned()])
    );
    assert_eq!(live.get().port, 9001);
}

#[tokio::test]
async fn dotenv_files_and_profile_variants_are_watched() {
    let dir = Scratch::new();
    let dotenv = dir.write(".env", "APP_PORT=9000\n");
    let live = AppConfig::loader()
        .profile("staging")
        .vars(required_vars(&[]))
        .dotenv(&dotenv)
        .watch()
        .await
        .unwrap();
    let mut events = live.subscribe();
    assert_eq!(live.get().port, 9000);

    // `.env.staging` does not exist yet.
    save(&dir.path().join(".env.staging"), "APP_PORT=9100\n");
    assert_eq!(
        applied_changed(&mut events).await,
        (2, vec!["port".to_owned()])
    );
    assert_eq!(live.get().port, 9100);

    save(&dotenv, "APP_PORT=9000\nAPP_LOG_LEVEL=warn\n");
    assert_eq!(
        applied_changed(&mut events).await,
        (3, vec!["log_level".to_owned()])
    );
    assert_eq!(live.get().log_level, "warn");
}

#[tokio::test]
async fn a_file_named_by_a_file_reference_is_watched_too() {
    let dir = Scratch::new();
    let secret = dir.write("run/secrets/stripe", &format!("{STRIPE_KEY}\n"));
    let reference = format!("${{file:{}}}", secret.display());
    let live = AppConfig::loader()
        .vars([
            ("DATABASE_URL", DATABASE_URL),
            ("APP_STRIPE_KEY", reference.as_str()),
        ])
        .watch()
        .await
        .unwrap();
    let mut events = live.subscribe();
    assert_eq!(live.get().stripe_key.expose_secret(), STRIPE_KEY);

    let rotated = "sk_test_rotated_0123456789abcdef0123456789";
    save(&secret, &format!("{rotated}\n"));
    let (version, changed) = applied_changed(&mut events).await;
    assert_eq!((version, changed), (2, vec!["stripe_key".to_owned()]));
    assert_eq!(live.get().stripe_key.expose_secret(), rotated);
}
