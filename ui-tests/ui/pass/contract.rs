// The struct from the contract, every attribute in use; loads and checks a few values.
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
    #[config(default = "http://localhost:3000", validate(pattern = "^https?://"))]
    pub cors_origins: Vec<String>,

    /// Optional Sentry DSN.
    pub sentry_dsn: Option<url::Url>,

    /// Worker threads; read once at start.
    #[config(default = 4, restart, alias = "APP_THREADS")]
    pub workers: usize,

    /// Sampling ratio.
    #[config(default = 0.5, validate(range(min = 0, max = 1)))]
    pub ratio: f64,

    /// Temperature offset.
    #[config(default = Self::OFFSET, validate(range(min = -40, max = 40), custom = even))]
    pub offset: i32,

    /// Feature tags.
    #[config(default = vec![String::from("a")], validate(non_empty, max_len = 8))]
    pub tags: Vec<String>,

    /// Redis settings.
    #[config(nested, restart)]
    pub redis: RedisConfig,

    /// Filled in by the program, not loaded.
    #[config(skip)]
    pub started: bool,
}

#[derive(Config, Debug)]
pub struct RedisConfig {
    /// Redis host.
    #[config(default = "localhost", example = "redis.internal")]
    pub host: String,
    /// Redis port.
    #[config(default = 6379)]
    pub port: u16,
    /// Redis password, if any.
    #[config(validate(min_len = 8))]
    pub password: Option<Secret<String>>,
}

impl AppConfig {
    const OFFSET: i32 = 2;

    fn check(&self) -> Result<(), String> {
        if self.workers == 0 {
            return Err("workers must be at least 1".into());
        }
        Ok(())
    }
}

fn even(value: &i32) -> Result<(), String> {
    if value % 2 == 0 {
        Ok(())
    } else {
        Err(format!("{value} is odd"))
    }
}

const REQUIRED: [(&str, &str); 2] = [
    ("DATABASE_URL", "postgres://app@db/app"),
    ("APP_STRIPE_KEY", "sk_test_0123456789abcdef0123456789ab"),
];

fn main() {
    let cfg = AppConfig::from_map(REQUIRED).unwrap();
    assert_eq!(cfg.port, 8080);
    assert_eq!(cfg.log_level, "info");
    assert_eq!(cfg.request_timeout, Duration::from_secs(30));
    assert_eq!(cfg.cors_origins, ["http://localhost:3000"]);
    assert_eq!(cfg.offset, 2);
    assert_eq!(cfg.tags, ["a"]);
    assert_eq!(cfg.redis.port, 6379);
    assert!(cfg.sentry_dsn.is_none() && !cfg.started);

    let bad = REQUIRED.into_iter().chain([
        ("APP_PORT", "0"),
        ("APP_LOG_LEVEL", "loud"),
        ("APP_CORS_ORIGINS", "ftp://x"),
        ("APP_OFFSET", "3"),
        ("APP_RATIO", "2"),
        ("APP_REDIS_PASSWORD", "short"),
    ]);
    let err = AppConfig::from_map(bad).unwrap_err();
    assert_eq!(err.errors().len(), 6, "{err}");
    assert!(!err.to_string().contains("short"));

    let err = AppConfig::from_map(REQUIRED.into_iter().chain([("APP_THREADS", "0")])).unwrap_err();
    assert!(
        err.to_string().contains("workers must be at least 1"),
        "{err}"
    );

    let schema = AppConfig::schema();
    let port = schema.field("port").unwrap();
    assert_eq!(port.env, "APP_PORT");
    assert_eq!(port.doc, "TCP port of the HTTP server.");
    assert_eq!(
        schema.field("offset").unwrap().default.as_deref(),
        Some("Self::OFFSET")
    );
    assert_eq!(
        schema.field("tags").unwrap().default.as_deref(),
        Some("vec![String::from(\"a\")]")
    );
    assert_eq!(schema.field("redis.host").unwrap().env, "APP_REDIS_HOST");
    assert!(schema.field("database_url").unwrap().secret);
    assert!(schema.field("redis.password").unwrap().secret);
    assert!(schema.field("started").is_none());
}
