//! A port of Meilisearch's instance options: the search engine's own `config.toml` (copied
//! unchanged to `tests/data/ports/meilisearch/`) loads into a struct written after `Opt` in
//! `crates/meilisearch/src/option.rs` of meilisearch/meilisearch at commit
//! `5cb2f2e94befc717bbea60fec4a31ee64d2f60fd`, with its `MEILI_*` variables.
//!
//! The shapes it needs: byte sizes (`http_payload_size_limit = "100 MB"`), a value that is a
//! boolean or a number (`schedule_snapshot`), a field named `env`, and a variable the engine
//! reads itself (`MEILI_CONFIG_FILE_PATH`, where it finds this file) that must not count as
//! unknown.

use std::borrow::Cow;
use std::path::PathBuf;

use config_runtime::{ByteSize, Config, ConfigValue, Origin, Secret, ValueError};
use config_tests::ports::{data, error_at};
use serde::Deserialize;

/// Meilisearch's `Opt` (the options a file may hold).
#[derive(Config, Debug)]
#[config(prefix = "MEILI")]
struct Opt {
    /// Where the database lives.
    #[config(default = "./data.ms")]
    db_path: PathBuf,
    /// `production` or `development`.
    #[config(default = "development", validate(one_of("development", "production")))]
    env: String,
    /// Address the HTTP server listens on.
    #[config(default = "localhost:7700")]
    http_addr: String,
    /// Protects every route but `GET /health`.
    #[config(validate(min_len = 16))]
    master_key: Option<Secret<String>>,
    /// No telemetry.
    #[config(default = false)]
    no_analytics: bool,
    /// Largest accepted payload.
    #[config(default = "100 MB")]
    http_payload_size_limit: ByteSize,
    /// `OFF`, `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`.
    #[config(default = "INFO")]
    log_level: LogLevel,
    /// RAM for indexing; two thirds of the machine's by default.
    max_indexing_memory: Option<ByteSize>,
    /// Threads for indexing; half the machine's by default.
    max_indexing_threads: Option<usize>,
    /// Where dumps are written.
    #[config(default = "dumps/")]
    dump_dir: PathBuf,
    /// A dump to import at start.
    import_dump: Option<PathBuf>,
    /// A missing `import_dump` is no error.
    #[config(default = false)]
    ignore_missing_dump: bool,
    /// An existing database skips `import_dump`.
    #[config(default = false)]
    ignore_dump_if_db_exists: bool,
    /// `false`, `true` (daily) or seconds between snapshots.
    #[config(default = "false")]
    schedule_snapshot: ScheduleSnapshot,
    /// Where snapshots are written.
    #[config(default = "snapshots/")]
    snapshot_dir: PathBuf,
    /// A snapshot to import at start.
    import_snapshot: Option<PathBuf>,
    /// A missing `import_snapshot` is no error.
    #[config(default = false)]
    ignore_missing_snapshot: bool,
    /// An existing database skips `import_snapshot`.
    #[config(default = false)]
    ignore_snapshot_if_db_exists: bool,
    /// Client authentication roots.
    ssl_auth_path: Option<PathBuf>,
    /// Certificate chain.
    ssl_cert_path: Option<PathBuf>,
    /// Private key.
    ssl_key_path: Option<PathBuf>,
    /// OCSP response.
    ssl_ocsp_path: Option<PathBuf>,
    /// Client certificates are required.
    #[config(default = false)]
    ssl_require_auth: bool,
    /// SSL session resumption.
    #[config(default = false)]
    ssl_resumption: bool,
    /// SSL tickets.
    #[config(default = false)]
    ssl_tickets: bool,
    /// Prometheus metrics on `GET /metrics`.
    #[config(default = false)]
    experimental_enable_metrics: bool,
    /// Less RAM while indexing.
    #[config(default = false)]
    experimental_reduce_indexing_memory_usage: bool,
    /// Most tasks in one batch.
    experimental_max_number_of_batched_tasks: Option<usize>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
enum LogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}
config_runtime::impl_serde_enum!(LogLevel);

/// Meilisearch's `ScheduleSnapshot`: `false` (or empty) disables, `true` is daily, a number
/// is the interval in seconds.
#[derive(Debug, PartialEq, Eq)]
enum ScheduleSnapshot {
    Disabled,
    Enabled(u64),
}

impl ConfigValue for ScheduleSnapshot {
    fn parse_str(text: &str) -> Result<Self, ValueError> {
        match text.trim() {
            "" | "false" => Ok(ScheduleSnapshot::Disabled),
            "true" => Ok(ScheduleSnapshot::Enabled(86400)),
            seconds => seconds
                .parse()
                .map(ScheduleSnapshot::Enabled)
                .map_err(|_| ValueError::expected::<Self>()),
        }
    }

    fn expected() -> Cow<'static, str> {
        "true, false or seconds between snapshots".into()
    }

    fn type_name() -> Cow<'static, str> {
        "snapshot schedule".into()
    }
}

fn config_toml() -> PathBuf {
    data("meilisearch", "config.toml")
}

#[test]
fn the_default_config_toml_loads_unchanged() {
    let opt = Opt::loader().file(config_toml()).load().unwrap();
    assert_eq!(opt.db_path, PathBuf::from("./data.ms"));
    assert_eq!(opt.env, "development");
    assert_eq!(opt.http_addr, "localhost:7700");
    assert!(opt.master_key.is_none());
    assert!(!opt.no_analytics);
    assert_eq!(opt.http_payload_size_limit, ByteSize::mb(100));
    assert_eq!(opt.log_level, LogLevel::Info);
    assert_eq!(opt.max_indexing_memory, None);
    assert_eq!(opt.dump_dir, PathBuf::from("dumps/"));
    assert_eq!(opt.schedule_snapshot, ScheduleSnapshot::Disabled);
    assert_eq!(opt.snapshot_dir, PathBuf::from("snapshots/"));
    assert!(!opt.ignore_missing_dump && !opt.ignore_dump_if_db_exists);
    assert!(!opt.ignore_missing_snapshot && !opt.ignore_snapshot_if_db_exists);
    assert!(!opt.ssl_require_auth && !opt.ssl_resumption && !opt.ssl_tickets);
    assert_eq!(opt.max_indexing_threads, None);
    assert_eq!((&opt.import_dump, &opt.import_snapshot), (&None, &None));
    assert_eq!(opt.ssl_auth_path, None);
    assert_eq!(opt.ssl_cert_path, None);
    assert_eq!(opt.ssl_key_path, None);
    assert_eq!(opt.ssl_ocsp_path, None);
    assert!(!opt.experimental_enable_metrics);
    assert!(!opt.experimental_reduce_indexing_memory_usage);
    assert_eq!(opt.experimental_max_number_of_batched_tasks, None);
}

#[test]
fn meili_variables_override_the_file() {
    let loader = Opt::loader().file(config_toml()).vars([
        ("MEILI_ENV", "production"),
        ("MEILI_MASTER_KEY", "a-master-key-of-twenty-chars"),
        ("MEILI_HTTP_PAYLOAD_SIZE_LIMIT", "1GiB"),
        ("MEILI_MAX_INDEXING_MEMORY", "2 GiB"),
        ("MEILI_SCHEDULE_SNAPSHOT", "3600"),
        ("MEILI_LOG_LEVEL", "WARN"),
        ("MEILI_CONFIG_FILE_PATH", "/etc/meilisearch/config.toml"),
    ]);
    let err = loader.load().unwrap_err();
    assert!(
        err.errors()
            .iter()
            .any(|e| e.env() == Some("MEILI_CONFIG_FILE_PATH")),
        "unknown until allowed: {err}"
    );

    let loader = loader.allow_vars(["MEILI_CONFIG_FILE_PATH"]);
    let opt = loader.load().unwrap();
    assert_eq!(opt.env, "production");
    assert_eq!(
        opt.master_key.as_ref().map(|k| k.expose_secret().as_str()),
        Some("a-master-key-of-twenty-chars")
    );
    assert_eq!(opt.http_payload_size_limit, ByteSize::gib(1));
    assert_eq!(opt.max_indexing_memory, Some(ByteSize::gib(2)));
    assert_eq!(opt.schedule_snapshot, ScheduleSnapshot::Enabled(3600));
    assert_eq!(opt.log_level, LogLevel::Warn);
    assert_eq!(
        opt.db_path,
        PathBuf::from("./data.ms"),
        "the file's value stays"
    );

    let explain = loader.explain().unwrap();
    let limit = explain
        .row("http_payload_size_limit")
        .expect("a row per key");
    assert_eq!(
        limit.origin,
        Some(Origin::Env {
            var: "MEILI_HTTP_PAYLOAD_SIZE_LIMIT".into()
        })
    );
    let addr = explain.row("http_addr").expect("a row per key");
    assert!(
        matches!(&addr.origin, Some(Origin::File { line: Some(_), .. })),
        "{:?}",
        addr.origin
    );
}

#[test]
fn errors_name_the_variable_and_what_was_expected() {
    const KEY: &str = "canary-meili";
    let err = Opt::loader()
        .file(config_toml())
        .vars([
            ("MEILI_ENV", "staging"),
            ("MEILI_HTTP_PAYLOAD_SIZE_LIMIT", "a lot"),
            ("MEILI_SCHEDULE_SNAPSHOT", "daily"),
            ("MEILI_MASTER_KEY", KEY),
            ("MEILI_NO_ANALITYCS", "true"),
        ])
        .load()
        .unwrap_err();
    for (path, env) in [
        ("env", "MEILI_ENV"),
        ("http_payload_size_limit", "MEILI_HTTP_PAYLOAD_SIZE_LIMIT"),
        ("schedule_snapshot", "MEILI_SCHEDULE_SNAPSHOT"),
        ("master_key", "MEILI_MASTER_KEY"),
    ] {
        assert_eq!(error_at(&err, path).env(), Some(env));
    }
    let text = err.to_string();
    assert!(text.contains("did you mean MEILI_NO_ANALYTICS"), "{text}");
    assert!(text.contains("byte size"), "{text}");
    assert!(!text.contains(KEY), "the master key leaked: {text}");
}

#[test]
fn meilisearch_flags_override_variables_and_the_file() {
    // `meilisearch --db-path .. --http-addr=..`: the engine's own flags, in kebab-case.
    let loader = Opt::loader()
        .file(config_toml())
        .vars([("MEILI_HTTP_ADDR", "127.0.0.1:7701")])
        .args([
            "meilisearch",
            "--db-path",
            "/var/lib/meilisearch/data.ms",
            "--http-addr=0.0.0.0:7700",
            "--schedule-snapshot",
            "600",
            "--experimental-enable-metrics",
        ]);
    let opt = loader.load().unwrap();
    assert_eq!(opt.db_path, PathBuf::from("/var/lib/meilisearch/data.ms"));
    assert_eq!(
        opt.http_addr, "0.0.0.0:7700",
        "a flag wins over the variable"
    );
    assert_eq!(opt.schedule_snapshot, ScheduleSnapshot::Enabled(600));
    assert!(opt.experimental_enable_metrics);

    let err = Opt::loader()
        .args(["meilisearch", "--http-adr", "0.0.0.0:7700"])
        .load()
        .unwrap_err();
    assert!(
        err.to_string().contains("--http-addr"),
        "did you mean: {err}"
    );

    let help = Opt::loader()
        .args(["meilisearch", "--help"])
        .load()
        .unwrap_err();
    let help = help.to_string();
    assert!(help.contains("--http-payload-size-limit"), "{help}");
    assert!(help.contains("Largest accepted payload."), "{help}");
}
