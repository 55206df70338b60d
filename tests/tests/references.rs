//! `${env:..}` and `${file:..}` references in values from any source, resolved after merging;
//! `$${` escapes; failures name the reference, never a value.

use config_runtime::{Config, ErrorKind};
use config_tests::{AppConfig, STRIPE_KEY, Scratch, required_vars};

#[test]
fn env_references_inside_longer_strings() {
    let c = AppConfig::from_map([
        (
            "DATABASE_URL",
            "postgres://app:${env:DB_PASS}@${env:DB_HOST}:5432/app",
        ),
        ("DB_PASS", "s3cr3t-pass"),
        ("DB_HOST", "db.internal"),
        ("APP_STRIPE_KEY", STRIPE_KEY),
    ])
    .unwrap();
    assert_eq!(
        c.database_url.expose_secret().as_str(),
        "postgres://app:s3cr3t-pass@db.internal:5432/app"
    );
}

#[test]
fn file_references_trim_the_trailing_newline_and_work_from_files() {
    let dir = Scratch::new();
    let key = dir.write("stripe.key", &format!("{STRIPE_KEY}\n"));
    let toml = dir.write(
        "config.toml",
        &format!(
            "stripe_key = \"${{file:{}}}\"\n[redis]\nhost = \"${{env:REDIS_HOST}}\"\n",
            key.display()
        ),
    );
    let c = AppConfig::loader()
        .file(&toml)
        .vars([
            ("DATABASE_URL", "postgres://db/app"),
            ("REDIS_HOST", "cache.internal"),
        ])
        .load()
        .unwrap();
    assert_eq!(c.stripe_key.expose_secret(), STRIPE_KEY);
    assert_eq!(c.redis.host, "cache.internal");
}

#[test]
fn references_are_resolved_after_merging() {
    // The file's reference is overridden before it would fail to resolve.
    let dir = Scratch::new();
    let toml = dir.write("config.toml", "log_level = \"${env:NOT_SET_ANYWHERE}\"\n");
    let c = AppConfig::loader()
        .file(&toml)
        .vars(required_vars(&[("APP_LOG_LEVEL", "warn")]))
        .load()
        .unwrap();
    assert_eq!(c.log_level, "warn");
}

#[test]
fn dollar_dollar_brace_is_a_literal() {
    let c = AppConfig::from_map(required_vars(&[("APP_REDIS_HOST", "$${env:HOME}")])).unwrap();
    assert_eq!(c.redis.host, "${env:HOME}");
    let c = AppConfig::from_map(required_vars(&[("APP_REDIS_HOST", "cost$5")])).unwrap();
    assert_eq!(c.redis.host, "cost$5");
}

#[test]
fn list_items_may_hold_references() {
    let c = AppConfig::from_map(required_vars(&[
        (
            "APP_CORS_ORIGINS",
            "https://${env:ORIGIN_HOST},http://localhost",
        ),
        ("ORIGIN_HOST", "shop.example.com"),
    ]))
    .unwrap();
    assert_eq!(
        c.cors_origins,
        vec!["https://shop.example.com", "http://localhost"]
    );
}

#[test]
fn unresolvable_references_name_the_reference_only() {
    let err = AppConfig::from_map([
        ("DATABASE_URL", "postgres://app:${env:MISSING_PASS}@db/app"),
        ("APP_STRIPE_KEY", "${file:/definitely/not/here}"),
        ("APP_REDIS_HOST", "${vault:secret/app#host}"),
        ("APP_LOG_LEVEL", "${env:UNCLOSED"),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.errors().len(), 4, "{text}");
    assert!(text.contains("DATABASE_URL (environment): cannot resolve ${env:MISSING_PASS}: variable MISSING_PASS is not set"), "{text}");
    assert!(text.contains("APP_STRIPE_KEY (environment): cannot resolve ${file:/definitely/not/here}: cannot read /definitely/not/here"), "{text}");
    assert!(text.contains("APP_REDIS_HOST (environment): cannot resolve ${vault:secret/app#host}: no provider handles `vault:` references"), "{text}");
    assert!(
        text.contains("APP_LOG_LEVEL (environment): cannot resolve"),
        "{text}"
    );
    assert!(
        !text.contains("postgres://app"),
        "the surrounding secret text must not leak: {text}"
    );
    for e in err.errors() {
        assert!(matches!(e.kind(), ErrorKind::Reference { .. }), "{e}");
    }
}

/// `${env:NAME:-default}` mixes the two forms: it is an error pointing at the shell form,
/// and the default, which may be a secret, is not quoted back as a variable's name.
#[test]
fn a_shell_default_written_with_the_env_scheme_points_at_the_shell_form() {
    let err = AppConfig::from_map([
        ("DATABASE_URL", "postgres://db/app"),
        ("APP_STRIPE_KEY", "${env:STRIPE:-sk_live_canary_default}"),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(
            "APP_STRIPE_KEY (environment): cannot resolve ${..}: the reference at byte 0 gives \
             `${env:..}` a default or a message; those take the shell form, without the \
             scheme: ${NAME:-default} or ${NAME:?message}"
        ),
        "{text}"
    );
    assert!(!format!("{text}{err:?}").contains("canary"), "{text}");
    // The shell form itself takes the default.
    let cfg = AppConfig::from_map([
        ("DATABASE_URL", "postgres://db/app"),
        (
            "APP_STRIPE_KEY",
            "${STRIPE_NOT_SET_HERE:-sk_live_from_the_default_0123456789}",
        ),
    ])
    .unwrap();
    assert_eq!(
        cfg.stripe_key.expose_secret(),
        "sk_live_from_the_default_0123456789"
    );
}

#[test]
fn explain_names_the_references_a_value_came_through() {
    let explain = AppConfig::loader()
        .vars(required_vars(&[
            ("APP_REDIS_HOST", "${env:CACHE_HOST}"),
            ("CACHE_HOST", "c1"),
        ]))
        .explain()
        .unwrap();
    assert_eq!(
        explain.row("redis.host").unwrap().source(),
        "environment via ${env:CACHE_HOST}"
    );
    assert_eq!(explain.row("redis.host").unwrap().value, "c1");
}

/// A field whose default holds a reference.
#[derive(Config, Debug)]
struct Cache {
    /// Where the cache lives.
    #[config(default = "${env:CACHE_ROOT}/cache")]
    dir: String,
}

#[test]
fn a_default_may_hold_a_reference_and_a_null_brings_it_back() {
    let vars = [("CACHE_ROOT", "/var/app")];
    let c = Cache::from_map(vars).unwrap();
    assert_eq!(c.dir, "/var/app/cache");

    // A file sets it; a later file's `null` unsets it, so the default (and its reference)
    // is back.
    let dir = Scratch::new();
    let set = dir.write("set.json", r#"{"dir": "/srv/cache"}"#);
    let unset = dir.write("unset.json", r#"{"dir": null}"#);
    let c = Cache::loader().file(&set).vars(vars).load().unwrap();
    assert_eq!(c.dir, "/srv/cache");
    let c = (Cache::loader().file(&set).file(&unset))
        .vars(vars)
        .load()
        .unwrap();
    assert_eq!(c.dir, "/var/app/cache");
}
