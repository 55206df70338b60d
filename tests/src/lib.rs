//! Shared fixtures of the integration tests: the contract's `AppConfig`, a scratch directory
//! helper, and the `probe` binary (in `src/bin`) that loads `AppConfig` from a real process
//! environment, so tests never mutate their own environment.
//!
//! Real servers and their seeding are in [`services`] (OpenBao, PostgreSQL), [`moto`] (AWS)
//! and [`etcd`]; other config structs in [`fixtures`]; writing watched files in [`files`];
//! waiting for reload events in [`events`]; the ports of real services' configs share
//! [`ports`]; running the `config_cli` example in [`cli`].

#![allow(missing_docs)]

pub mod cli;
pub mod dotenvx;
pub mod drongo;
pub mod etcd;
pub mod events;
pub mod files;
pub mod fixtures;
pub mod fuzz;
pub mod google_token;
pub mod keyvault;
pub mod latency;
pub mod logs;
pub mod moto;
pub mod ports;
pub mod services;
pub mod snapshot;
pub mod sops;
pub mod unleash;
pub mod unleash_spec;

use config_runtime::live::Live;
use config_runtime::{Config, Secret};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Settings of the billing service.
#[derive(Config, Debug)]
#[config(prefix = "APP", validate = Self::check)]
pub struct AppConfig {
    /// TCP port of the HTTP server.
    #[config(default = 8080, validate(range(min = 1, max = 65535)))]
    pub port: u16,

    /// Log level.
    #[config(default = "info", validate(one_of("error", "warn", "info", "debug")))]
    pub log_level: String,

    /// PostgreSQL connection URL.
    #[config(env = "DATABASE_URL", validate(url_scheme("postgres", "postgresql")))]
    pub database_url: Secret<url::Url>,

    /// Stripe API key.
    #[config(validate(min_len = 32), example = "sk_test_...")]
    pub stripe_key: Secret<String>,

    /// Request timeout ("30s", "5m", "1h 30m", or whole seconds).
    #[config(default = "30s")]
    pub request_timeout: Duration,

    /// Allowed CORS origins (comma-separated in the environment).
    #[config(default = "http://localhost:3000")]
    pub cors_origins: Vec<String>,

    /// Optional Sentry DSN.
    pub sentry_dsn: Option<url::Url>,

    /// Worker threads; read once at start.
    #[config(default = 4, restart)]
    pub workers: usize,

    /// Redis settings.
    #[config(nested)]
    pub redis: RedisConfig,
}

#[derive(Config, Debug)]
pub struct RedisConfig {
    /// Redis host.
    #[config(default = "localhost")]
    pub host: String,
    /// Redis port.
    #[config(default = 6379)]
    pub port: u16,
    /// Redis password, if any.
    pub password: Option<Secret<String>>,
}

impl AppConfig {
    fn check(&self) -> Result<(), String> {
        if self.workers > 64 && self.log_level == "debug" {
            return Err("debug logging with more than 64 workers floods the logs".to_owned());
        }
        Ok(())
    }
}

/// A valid stripe key (32+ characters).
pub const STRIPE_KEY: &str = "sk_test_0123456789abcdef0123456789abcdef";
/// A valid database URL.
pub const DATABASE_URL: &str = "postgres://app:pw-in-url@db.internal:5432/app";

/// Each problem of a failed load as the line the error prints for it, in its order.
pub fn problems(error: &config_runtime::ConfigError) -> Vec<String> {
    error.errors().iter().map(ToString::to_string).collect()
}

/// The variables every valid `AppConfig` needs, plus `extra`.
pub fn required_vars(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut vars = vec![
        ("DATABASE_URL".to_owned(), DATABASE_URL.to_owned()),
        ("APP_STRIPE_KEY".to_owned(), STRIPE_KEY.to_owned()),
    ];
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    vars
}

/// Watches `AppConfig` from the file at `path`, over [`required_vars`]: the variables are
/// listed first, so the file may override them.
pub async fn watch_file(path: &Path) -> Live<AppConfig> {
    AppConfig::loader()
        .vars(required_vars(&[]))
        .file(path)
        .watch()
        .await
        .unwrap()
}

/// A temporary directory with helpers to write files into it; removed on drop.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl Scratch {
    pub fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `name` (creating parent directories) and returns the full path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directory");
        }
        std::fs::write(&path, text).expect("write scratch file");
        path
    }
}

/// Runs the `probe` binary (pass `env!("CARGO_BIN_EXE_probe")`) in `dir` with exactly `vars`
/// as its environment; returns (success, stdout, stderr).
pub fn probe(exe: &str, dir: &Path, mode: &str, vars: &[(&str, &str)]) -> (bool, String, String) {
    let output = std::process::Command::new(exe)
        .arg(mode)
        .current_dir(dir)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .expect("run the probe binary");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
