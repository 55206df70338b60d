//! The configuration shared by the examples: the `AppConfig` of the project's contract.

use config_runtime::{Config, Secret};
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

/// Connection to Redis.
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
    /// Cross-field rule: a debug log level is not for many workers in production-like setups.
    fn check(&self) -> Result<(), String> {
        if self.workers == 0 {
            return Err("workers must be at least 1".to_owned());
        }
        Ok(())
    }
}

/// The README's examples, compiled as doc tests so they cannot rot (they use every provider:
/// `--features doc-examples`, or `--all-features` as the README's test command does).
#[cfg(all(doctest, feature = "doc-examples"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// ARCHITECTURE.md's "write your own source" example, compiled and run as a doc test (it
/// drives a tokio runtime: `--features doc-examples`).
#[cfg(all(doctest, feature = "doc-examples"))]
#[doc = include_str!("../ARCHITECTURE.md")]
pub struct ArchitectureDoctests;
