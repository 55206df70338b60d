//! A port of the Atuin sync server's settings: the shell-history server's own example
//! `crates/atuin-server/server.toml` and the TOML and variables of
//! `docs/docs/self-hosting/server-setup.md` (atuinsh/atuin at commit
//! `824c8716d82bed774ee6a83c683087ae77715814`, copied unchanged to `tests/data/ports/atuin/`)
//! load into structs written after `crates/atuin-server/src/settings.rs` and
//! `crates/atuin-server-database/src/lib.rs` at that commit.
//!
//! The shapes it needs: Atuin's variable names (config-rs with `prefix_separator("_")` and
//! `separator("__")`: `ATUIN_DB_URI`, `ATUIN_METRICS__ENABLE`), the database settings
//! flattened into the top level (`db_uri`, not `[db] uri`), an old file key kept
//! (`enabled` for `metrics.enable`), and a variable the server reads itself
//! (`ATUIN_CONFIG_DIR`, where it looks for `server.toml`) that must not count as unknown.

use config_runtime::{Config, Origin, Secret};
use config_tests::Scratch;
use config_tests::ports::{assert_hidden, data, error_at};

/// Atuin's server `Settings`.
#[derive(Config, Debug)]
#[config(prefix = "ATUIN", prefix_separator = "_", env_separator = "__")]
struct Settings {
    /// Address to bind.
    #[config(default = "127.0.0.1")]
    host: String,
    /// Port to bind.
    #[config(default = 8888)]
    port: u16,
    /// A path prepended to every route.
    #[config(default = "")]
    path: String,
    /// Anyone may register an account.
    #[config(default = false)]
    open_registration: bool,
    /// Largest record entry, in bytes.
    #[config(default = 1073741824)]
    max_record_size: usize,
    /// Called when a user registers.
    register_webhook_url: Option<url::Url>,
    /// User name the webhook posts as.
    #[config(default = "")]
    register_webhook_username: String,
    /// Prometheus metrics.
    #[config(nested)]
    metrics: Metrics,
    /// A version advertised instead of the real one.
    fake_version: Option<String>,
    /// The database (its keys sit at the top level).
    #[config(flatten)]
    db_settings: DbSettings,
}

#[derive(Config, Debug)]
struct Metrics {
    /// Serve metrics; `enabled` is accepted too (serde's `alias` in Atuin, which config-rs
    /// applies to files and variables alike).
    #[config(
        file_alias = "enabled",
        alias = "ATUIN_METRICS__ENABLED",
        default = false
    )]
    enable: bool,
    /// Address of the metrics server.
    #[config(default = "127.0.0.1")]
    host: String,
    /// Port of the metrics server.
    #[config(default = 9001)]
    port: u16,
}

/// `DbSettings` of `atuin-server-database`.
#[derive(Config, Debug)]
struct DbSettings {
    /// PostgreSQL or SQLite URI.
    #[config(validate(pattern = "^(postgres|postgresql|sqlite)://"))]
    db_uri: Secret<String>,
    /// Read replica; read-only queries go there when set.
    read_db_uri: Option<Secret<String>>,
}

const DB_URI: &str = "postgres://user:password@hostname/database";

#[test]
fn the_example_server_toml_is_all_defaults() {
    // The file Atuin writes on first start has every setting commented out, with its
    // default; the database URI has none and comes from the environment.
    let config = Settings::loader()
        .file(data("atuin", "server.toml"))
        .vars([("ATUIN_DB_URI", "sqlite:///config/atuin-server.db")])
        .load()
        .unwrap();
    assert_eq!(config.host, "127.0.0.1");
    assert_eq!(config.port, 8888);
    assert!(!config.open_registration);
    assert_eq!(config.max_record_size, 1024 * 1024 * 1024);
    assert_eq!(config.register_webhook_username, "");
    assert!(config.register_webhook_url.is_none());
    assert!(config.fake_version.is_none());
    assert_eq!(config.path, "");
    assert!(!config.metrics.enable);
    assert_eq!(
        (config.metrics.host.as_str(), config.metrics.port),
        ("127.0.0.1", 9001)
    );
    assert_eq!(
        config.db_settings.db_uri.expose_secret(),
        "sqlite:///config/atuin-server.db"
    );
    assert!(config.db_settings.read_db_uri.is_none());

    let err = Settings::loader()
        .file(data("atuin", "server.toml"))
        .load()
        .unwrap_err();
    let missing = error_at(&err, "db_uri");
    assert_eq!(missing.env(), Some("ATUIN_DB_URI"));
}

#[test]
fn the_documented_toml_and_variables_give_the_same_settings() {
    let from_file = Settings::loader()
        .file(data("atuin", "server-setup.toml"))
        .load()
        .unwrap();
    let dotenv = data("atuin", "server-setup.env");
    let loader = Settings::loader().dotenv(&dotenv);
    let from_vars = loader.load().unwrap();
    for config in [&from_file, &from_vars] {
        assert_eq!(config.host, "0.0.0.0");
        assert_eq!(config.port, 8888);
        assert!(config.open_registration);
        assert_eq!(config.db_settings.db_uri.expose_secret(), DB_URI);
    }
    let explain = loader.explain().unwrap();
    let db_uri = explain.row("db_uri").expect("a row per key");
    assert_eq!(db_uri.env, "ATUIN_DB_URI");
    assert_eq!(
        db_uri.origin,
        Some(Origin::Dotenv {
            path: dotenv.clone().into(),
            line: 4
        })
    );
}

#[test]
fn nested_variables_use_double_underscores_after_a_single_one() {
    let config = Settings::loader()
        .file(data("atuin", "server-setup.toml"))
        .vars([
            ("ATUIN_METRICS__ENABLE", "true"),
            ("ATUIN_METRICS__PORT", "9101"),
            ("ATUIN_READ_DB_URI", "postgres://reader:pw@replica/atuin"),
            ("ATUIN_PORT", "8889"),
        ])
        .load()
        .unwrap();
    assert!(config.metrics.enable);
    assert_eq!(config.metrics.port, 9101);
    assert_eq!(config.port, 8889);
    assert_eq!(
        config
            .db_settings
            .read_db_uri
            .as_ref()
            .map(|s| s.expose_secret().as_str()),
        Some("postgres://reader:pw@replica/atuin")
    );

    let schema = Settings::schema();
    assert_eq!(
        schema.field("metrics.enable").map(|f| f.env.as_str()),
        Some("ATUIN_METRICS__ENABLE")
    );
    assert_eq!(
        schema.field("db_uri").map(|f| f.env.as_str()),
        Some("ATUIN_DB_URI")
    );
}

#[test]
fn the_old_metrics_key_is_still_read() {
    let scratch = Scratch::new();
    let file = scratch.write(
        "server.toml",
        "db_uri = \"sqlite:///config/atuin.db\"\n\n[metrics]\nenabled = true\nport = 9002\n",
    );
    let loader = Settings::loader().file(&file);
    let config = loader.load().unwrap();
    assert!(config.metrics.enable);
    assert_eq!(config.metrics.port, 9002);
    assert!(
        loader
            .explain()
            .unwrap()
            .warnings()
            .iter()
            .any(|w| w.to_string().contains("enabled")),
        "the old key is deprecated"
    );

    let loader = Settings::loader().vars([
        ("ATUIN_DB_URI", "sqlite:///config/atuin.db"),
        ("ATUIN_METRICS__ENABLED", "true"),
    ]);
    assert!(loader.load().unwrap().metrics.enable);
    let warnings = loader.explain().unwrap();
    assert!(
        warnings
            .warnings()
            .iter()
            .any(|w| w.to_string().contains("ATUIN_METRICS__ENABLED")),
        "the old variable is deprecated: {:?}",
        warnings.warnings()
    );
}

#[test]
fn the_config_directory_variable_is_the_servers_own() {
    let vars = [
        ("ATUIN_DB_URI", "sqlite:///config/atuin.db"),
        ("ATUIN_CONFIG_DIR", "/config"),
    ];
    let err = Settings::loader().vars(vars).load().unwrap_err();
    assert!(
        err.errors()
            .iter()
            .any(|e| e.env() == Some("ATUIN_CONFIG_DIR")),
        "unknown until allowed: {err}"
    );
    let config = Settings::loader()
        .vars(vars)
        .allow_vars(["ATUIN_CONFIG_DIR"])
        .load()
        .unwrap();
    assert_eq!(config.port, 8888);
}

#[test]
fn errors_name_keys_variables_and_suggest_names() {
    let err = Settings::loader()
        .file(data("atuin", "server-setup.toml"))
        .vars([
            ("ATUIN_PORT", "eighty"),
            ("ATUIN_METRICS__PORT", "70000"),
            ("ATUIN_METRICS_ENABLE", "true"),
        ])
        .load()
        .unwrap_err();
    let port = error_at(&err, "port");
    assert_eq!(port.env(), Some("ATUIN_PORT"));
    let metrics_port = error_at(&err, "metrics.port");
    assert_eq!(metrics_port.env(), Some("ATUIN_METRICS__PORT"));
    let text = err.to_string();
    assert!(
        text.contains("ATUIN_METRICS_ENABLE")
            && text.contains("did you mean ATUIN_METRICS__ENABLE"),
        "a single underscore where two belong: {text}"
    );
}

#[test]
fn the_database_password_stays_hidden() {
    const PASSWORD: &str = "canary-atuin-db-password-c0de";
    let uri = format!("postgres://atuin:{PASSWORD}@db.internal/atuin");
    let loader = Settings::loader()
        .file(data("atuin", "server-setup.toml"))
        .vars([
            ("ATUIN_DB_URI", uri.as_str()),
            ("ATUIN_READ_DB_URI", uri.as_str()),
        ]);
    let config = loader.load().unwrap();
    assert_eq!(config.db_settings.db_uri.expose_secret(), &uri);
    let explain = loader.explain().unwrap();
    let err = Settings::loader()
        .file(data("atuin", "server-setup.toml"))
        .vars([("ATUIN_DB_URI", uri.as_str()), ("ATUIN_PORT", "-1")])
        .load()
        .unwrap_err();
    error_at(&err, "port");
    assert_hidden(&[PASSWORD], &config, &explain, &err);
}

#[test]
fn the_env_example_lists_atuin_variables() {
    let example = Settings::env_example();
    for name in [
        "ATUIN_HOST=",
        "ATUIN_DB_URI=",
        "ATUIN_METRICS__ENABLE=",
        "ATUIN_MAX_RECORD_SIZE=",
    ] {
        assert!(example.contains(name), "{name} missing from:\n{example}");
    }
}
